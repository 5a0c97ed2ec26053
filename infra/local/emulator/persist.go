package emulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	miniserver "github.com/truora/minidyn/server"
)

// Persistence of the embedded DynamoDB under a data directory:
//
//   - dynamodb-<seq>.snapshot: every live item and the table definitions,
//     as of the start of journal segment <seq> (written to a temporary file,
//     fsynced and renamed, so it is complete or absent);
//   - dynamodb-<seq>.journal: the writes that succeeded after it, framed and
//     checksummed (journal.go), fsynced before any of them is acknowledged.
//
// Start loads the newest snapshot and replays the segments from its
// sequence on, so restart costs the live data plus the writes since the
// last snapshot; a new snapshot is taken once the journal outgrows the
// live data (SnapshotAfter).

// Options of a persistent DynamoDB.
type Options struct {
	// Dir keeps the state; "" keeps everything in memory.
	Dir string
	// Log receives the recovery report and journal failures (default slog.Default()).
	Log *slog.Logger
	// SnapshotAfter is how many journal bytes, beyond the size of the last
	// snapshot, start a new snapshot; 0 means 4 MiB, negative never.
	SnapshotAfter int64
	// Salvage lets the store start over a corrupt journal, keeping the
	// records before the damage and moving the rest aside (.corrupt file).
	// Default: SPORTELLO_JOURNAL_SALVAGE=1.
	Salvage bool
	// WrapFile, if set, wraps each journal segment opened for writing (tests
	// use it to fail writes as a full or broken disk does).
	WrapFile func(*os.File) JournalFile
}

// Recovery tells what start found on disk.
type Recovery struct {
	Snapshot     int // sequence of the snapshot loaded (0: none)
	SnapshotRows int
	Segments     int
	Records      int
	Discarded    *IncompleteTail
	Salvaged     []string // files set aside by a salvage
	Took         time.Duration
}

type schemaOp struct {
	Target string          `json:"t"`
	Body   json.RawMessage `json:"b"`
}

type snapshotHeader struct {
	Seq    int        `json:"seq"`
	Schema []schemaOp `json:"schema"`
}

type snapshotRow struct {
	Table string          `json:"table"`
	Item  json.RawMessage `json:"item"`
}

type snapshotEnd struct {
	End int `json:"end"`
}

func (o *Options) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.Default()
}

func (o *Options) open(path string, flag int) (JournalFile, error) {
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, err
	}
	if o.WrapFile != nil {
		return o.WrapFile(f), nil
	}
	return f, nil
}

type segment struct {
	seq  int
	path string
}

func listSegments(dir, kind string) ([]segment, error) {
	names, err := filepath.Glob(filepath.Join(dir, "dynamodb-*."+kind))
	if err != nil {
		return nil, err
	}
	var out []segment
	for _, p := range names {
		s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "dynamodb-"), "."+kind)
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, segment{seq: n, path: p})
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].seq < out[k].seq })
	return out, nil
}

// resetState empties the in-memory store before a load.
func (d *DynamoDB) resetState() {
	d.mini = miniserver.NewServer()
	d.attachKeys()
	d.mirror = mirror{}
	d.schema = nil
}

// load rebuilds the in-memory state from the data directory and returns
// the newest segment, opened for appending, and its length. The caller
// holds the write lock (or nobody else runs yet).
func (d *DynamoDB) load() (JournalFile, int, int64, error) {
	start := time.Now()
	dir, o := d.opts.Dir, &d.opts
	d.resetState()
	rec := Recovery{}
	if err := d.importLegacy(); err != nil {
		return nil, 0, 0, err
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	for _, t := range tmps {
		_ = os.Remove(t) // an unfinished snapshot; the journal still holds its data
	}
	snaps, err := listSegments(dir, "snapshot")
	if err != nil {
		return nil, 0, 0, err
	}
	base := 0
	if len(snaps) > 0 {
		s := snaps[len(snaps)-1]
		base = s.seq
		n, err := d.loadSnapshot(s.path)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("load snapshot: %w", err)
		}
		rec.Snapshot, rec.SnapshotRows = s.seq, n
	}
	segs, err := listSegments(dir, "journal")
	if err != nil {
		return nil, 0, 0, err
	}
	var live []segment
	for _, s := range segs {
		if s.seq >= base {
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		live = []segment{{seq: base, path: segmentName(dir, base, "journal")}}
		if err := createSegment(live[0].path); err != nil {
			return nil, 0, 0, err
		}
	}
	var size int64
	for i, s := range live {
		last := i == len(live)-1
		data, err := os.ReadFile(s.path)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("read journal: %w", err)
		}
		end, tail, err := readRecords(s.path, data, journalMagic, last, func(p []byte) error {
			rec.Records++
			return d.applyRecord(p)
		})
		var ce *CorruptError
		if errors.As(err, &ce) {
			if !o.Salvage {
				o.log().Error("journal corrupt: refusing to start", "error", ce.Error(), "file", s.path, "offset", ce.Offset, "bytesAfter", ce.After)
				return nil, 0, 0, err
			}
			aside, serr := d.salvage(live[i:], ce)
			if serr != nil {
				return nil, 0, 0, serr
			}
			rec.Salvaged = aside
			live, last, end = live[:i+1], true, ce.Offset
		} else if err != nil {
			return nil, 0, 0, err
		}
		if tail != nil {
			rec.Discarded = tail
			o.log().Error("journal: discarded an incomplete last record", "report", tail.String(),
				"file", tail.File, "offset", tail.Offset, "have", tail.Have, "want", tail.Want, "operation", tail.Operation)
		}
		if last {
			if end < int64(len(journalMagic)) {
				// Not even the header made it: write the segment afresh.
				if err := createSegment(s.path); err != nil {
					return nil, 0, 0, err
				}
				end = int64(len(journalMagic))
			} else if end < int64(len(data)) {
				// New records go right after the last good one, never after
				// the discarded bytes (or replay would stop before them).
				if err := truncateDurably(s.path, end); err != nil {
					return nil, 0, 0, fmt.Errorf("cut the journal's incomplete tail: %w", err)
				}
			}
			size = end
			break
		}
	}
	tail := live[len(live)-1]
	f, err := o.open(tail.path, os.O_WRONLY|os.O_APPEND)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("open journal: %w", err)
	}
	// resetState cleared the index lag: the model's applies again from
	// here (what was loaded was written before and shows at once).
	d.mirror.mu.Lock()
	if m := d.aws.model.Load(); m != nil {
		d.mirror.lag = m.GSILag
	}
	d.mirror.mu.Unlock()
	rec.Segments, rec.Took = len(live), time.Since(start)
	d.Recovery = rec
	d.snapBase.Store(d.snapshotSize())
	return f, tail.seq, size, nil
}

func (d *DynamoDB) snapshotSize() int64 {
	snaps, _ := listSegments(d.opts.Dir, "snapshot")
	if len(snaps) == 0 {
		return 0
	}
	fi, err := os.Stat(snaps[len(snaps)-1].path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// salvage keeps the good prefix of the corrupt segment and moves its rest,
// and every later segment, aside — loudly, naming each file.
func (d *DynamoDB) salvage(segs []segment, ce *CorruptError) ([]string, error) {
	stamp := time.Now().UTC().Format("20060102T150405")
	data, err := os.ReadFile(segs[0].path)
	if err != nil {
		return nil, err
	}
	aside := segs[0].path + ".corrupt-" + stamp
	if err := os.WriteFile(aside, data[ce.Offset:], 0o600); err != nil {
		return nil, fmt.Errorf("salvage: %w", err)
	}
	out := []string{aside}
	if err := truncateDurably(segs[0].path, ce.Offset); err != nil {
		return nil, fmt.Errorf("salvage: %w", err)
	}
	for _, s := range segs[1:] {
		to := s.path + ".corrupt-" + stamp
		if err := os.Rename(s.path, to); err != nil {
			return nil, fmt.Errorf("salvage: %w", err)
		}
		out = append(out, to)
	}
	syncDir(d.opts.Dir) //nolint:errcheck // best effort: the files themselves were synced
	d.opts.log().Error("journal SALVAGED: acknowledged writes after the corruption were set aside and are NOT in the store",
		"corruption", ce.Error(), "setAside", out)
	return out, nil
}

func truncateDurably(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

func createSegment(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create journal: %w", err)
	}
	if _, err := f.Write([]byte(journalMagic)); err != nil {
		f.Close()
		return fmt.Errorf("create journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("create journal: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// applyRecord replays one journal record.
func (d *DynamoDB) applyRecord(p []byte) error {
	var e schemaOp
	if err := json.Unmarshal(p, &e); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	d.apply(e.Target, e.Body)
	return nil
}

// apply runs a write that succeeded before against the in-memory state.
func (d *DynamoDB) apply(target string, body []byte) {
	defer d.keys.trim()
	op := target[strings.LastIndex(target, ".")+1:]
	rec := httptest.NewRecorder()
	if op == "TransactWriteItems" {
		if handled, ok := d.transact(rec, body); handled {
			if ok {
				d.refreshWritten(op, body)
			}
			return
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	d.mini.ServeHTTP(rec, req)
	if rec.Code == http.StatusOK {
		d.completeRemoves(op, body)
		d.noteWrite(op, target, body)
	}
}

// noteWrite keeps what a snapshot needs besides items: table definitions.
func (d *DynamoDB) noteWrite(op, target string, body []byte) {
	switch op {
	case "CreateTable", "UpdateTable", "DeleteTable":
		d.schema = append(d.schema, schemaOp{Target: target, Body: append(json.RawMessage(nil), body...)})
	default:
		d.refreshWritten(op, body)
	}
}

func (d *DynamoDB) tables() []string {
	live := map[string]bool{}
	var order []string
	for _, s := range d.schema {
		var in struct {
			TableName string `json:"TableName"`
		}
		json.Unmarshal(s.Body, &in) //nolint:errcheck // bytes minidyn or the journal already accepted as JSON
		switch {
		case strings.HasSuffix(s.Target, ".CreateTable"):
			if !live[in.TableName] {
				order = append(order, in.TableName)
			}
			live[in.TableName] = true
		case strings.HasSuffix(s.Target, ".DeleteTable"):
			live[in.TableName] = false
		}
	}
	var out []string
	for _, t := range order {
		if live[t] {
			out = append(out, t)
		}
	}
	return out
}

func (d *DynamoDB) loadSnapshot(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	rows, ended, first := 0, false, true
	_, _, err = readRecords(path, data, snapshotMagic, false, func(p []byte) error {
		if first {
			first = false
			var h snapshotHeader
			if err := json.Unmarshal(p, &h); err != nil {
				return fmt.Errorf("snapshot header: %w", err)
			}
			for _, s := range h.Schema {
				d.apply(s.Target, s.Body)
			}
			return nil
		}
		var r snapshotRow
		if err := json.Unmarshal(p, &r); err != nil {
			return fmt.Errorf("snapshot row: %w", err)
		}
		if r.Table == "" {
			var e snapshotEnd
			json.Unmarshal(p, &e) //nolint:errcheck // bytes minidyn or the journal already accepted as JSON
			if e.End != rows {
				return fmt.Errorf("snapshot ends after %d rows, has %d", e.End, rows)
			}
			ended = true
			return nil
		}
		if d.keys != nil {
			if err := d.keys.put(r.Table, r.Item); err != nil {
				return fmt.Errorf("snapshot row %d of %s refused by the store: %w", rows, r.Table, err)
			}
			d.keys.trim()
		} else if code, _ := d.call("PutItem", map[string]any{"TableName": r.Table, "Item": r.Item}); code != http.StatusOK {
			return fmt.Errorf("snapshot row %d of %s refused by the store", rows, r.Table)
		}
		var item map[string]json.RawMessage
		json.Unmarshal(r.Item, &item) //nolint:errcheck // bytes minidyn or the journal already accepted as JSON
		if id, ok := itemKey(item); ok {
			d.mirror.mu.Lock()
			d.mirror.set(r.Table, id, r.Item)
			d.mirror.mu.Unlock()
		}
		rows++
		return nil
	})
	if err != nil {
		return 0, err
	}
	if !ended {
		return 0, &CorruptError{File: path, Reason: "snapshot without its end record"}
	}
	return rows, nil
}

// dump returns the snapshot of the current state (caller holds the write lock).
func (d *DynamoDB) dump(seq int) ([]byte, int, error) {
	h, _ := json.Marshal(snapshotHeader{Seq: seq, Schema: d.schema})
	buf := frame([]byte(snapshotMagic), h)
	rows := 0
	if d.keys != nil {
		// Straight from minidyn's tables, in key order: a Scan would copy
		// and test every item against an empty filter first.
		d.keys.rebuild()
		for _, t := range d.tables() {
			tb := d.keys.tables[t]
			if tb == nil {
				continue
			}
			for _, k := range tb.SortedKeys {
				av := make(map[string]*miniserver.AttributeValue, len(tb.Data[k]))
				for name, v := range tb.Data[k] {
					av[name] = fromMini(v)
				}
				it, err := json.Marshal(av)
				if err != nil {
					return nil, 0, fmt.Errorf("snapshot of %s: %w", t, err)
				}
				row, _ := json.Marshal(snapshotRow{Table: t, Item: it})
				buf = frame(buf, row)
				rows++
			}
		}
		end, _ := json.Marshal(snapshotEnd{End: rows})
		return frame(buf, end), rows, nil
	}
	for _, t := range d.tables() {
		var start json.RawMessage
		for {
			in := map[string]any{"TableName": t}
			if start != nil {
				in["ExclusiveStartKey"] = start
			}
			code, body := d.call("Scan", in)
			if code != http.StatusOK {
				return nil, 0, fmt.Errorf("scan %s: %s", t, body)
			}
			var out struct {
				Items            []json.RawMessage `json:"Items"`
				LastEvaluatedKey json.RawMessage   `json:"LastEvaluatedKey"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				return nil, 0, fmt.Errorf("scan %s: %w", t, err)
			}
			for _, it := range out.Items {
				row, _ := json.Marshal(snapshotRow{Table: t, Item: it})
				buf = frame(buf, row)
				rows++
			}
			if len(out.LastEvaluatedKey) == 0 || string(out.LastEvaluatedKey) == "{}" || string(out.LastEvaluatedKey) == "null" {
				break
			}
			start = out.LastEvaluatedKey
		}
	}
	end, _ := json.Marshal(snapshotEnd{End: rows})
	return frame(buf, end), rows, nil
}

// Snapshot writes the live state to a new snapshot and starts a new journal
// segment; older files are then removed. Writes wait while the state is
// copied (in memory), not while it is written to disk.
func (d *DynamoDB) Snapshot() error {
	if d.log == nil {
		return nil
	}
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	d.writeMu.Lock()
	if err := d.log.flush(); err != nil {
		d.writeMu.Unlock()
		return fmt.Errorf("snapshot: %w", err)
	}
	seq := d.log.seq + 1
	path := segmentName(d.opts.Dir, seq, "journal")
	if err := createSegment(path); err != nil {
		d.writeMu.Unlock()
		return fmt.Errorf("snapshot: %w", err)
	}
	f, err := d.opts.open(path, os.O_WRONLY|os.O_APPEND)
	if err != nil {
		d.writeMu.Unlock()
		return fmt.Errorf("snapshot: %w", err)
	}
	data, _, err := d.dump(seq)
	if err != nil {
		d.writeMu.Unlock()
		f.Close()
		os.Remove(path)
		return fmt.Errorf("snapshot: %w", err)
	}
	old := d.log.rotate(f, seq)
	d.writeMu.Unlock()
	old.Close()

	final := segmentName(d.opts.Dir, seq, "snapshot")
	if err := writeDurably(final, data); err != nil {
		// The journal segments still hold everything: nothing is lost, the
		// next restart just replays more.
		return fmt.Errorf("snapshot: %w", err)
	}
	d.snapBase.Store(int64(len(data)))
	for _, kind := range []string{"journal", "snapshot"} {
		segs, _ := listSegments(d.opts.Dir, kind)
		for _, s := range segs {
			if s.seq < seq {
				_ = os.Remove(s.path) // an older file the new snapshot covers
			}
		}
	}
	return syncDir(d.opts.Dir)
}

// WaitSnapshot returns once no snapshot is being written.
func (d *DynamoDB) WaitSnapshot() {
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
}

func writeDurably(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// importLegacy turns the JSON-lines journal of earlier versions into a
// first snapshot, so an existing data directory keeps its state.
func (d *DynamoDB) importLegacy() error {
	path := filepath.Join(d.opts.Dir, "dynamodb.journal")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open legacy journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e schemaOp
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			d.opts.log().Error("legacy journal: unreadable last line dropped", "bytes", len(sc.Bytes()))
			break
		}
		d.apply(e.Target, e.Body)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read legacy journal: %w", err)
	}
	data, rows, err := d.dump(1)
	if err != nil {
		return err
	}
	if err := writeDurably(segmentName(d.opts.Dir, 1, "snapshot"), data); err != nil {
		return fmt.Errorf("import legacy journal: %w", err)
	}
	if err := os.Rename(path, path+".imported"); err != nil {
		return err
	}
	d.opts.log().Info("legacy journal imported into a snapshot", "rows", rows)
	d.resetState()
	return syncDir(d.opts.Dir)
}

// rebuild runs after a journal write or fsync failed: the in-memory state
// may hold writes that are not on disk, so it is reloaded from disk (the
// failed batch cut off first) and the journal resumes. Until then every
// request fails with 503.
func (d *DynamoDB) rebuild(cause error) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.opts.log().Error("journal write failed: nothing since the last fsync is acknowledged; reloading the store from disk",
		"error", cause.Error())
	d.log.mu.Lock()
	f, seq, size := d.log.f, d.log.seq, d.log.size
	d.log.mu.Unlock()
	f.Close()
	path := segmentName(d.opts.Dir, seq, "journal")
	if err := truncateDurably(path, size); err != nil {
		d.opts.log().Error("journal: could not cut the failed batch; it is reloaded as an incomplete tail or as written", "error", err.Error())
	}
	for {
		nf, nseq, nsize, err := d.load()
		if err == nil {
			d.log.reset(nf, nseq, nsize)
			return
		}
		d.opts.log().Error("journal: reload after a write failure failed; retrying", "error", err.Error())
		time.Sleep(time.Second)
	}
}
