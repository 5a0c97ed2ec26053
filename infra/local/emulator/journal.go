package emulator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// The journal is a sequence of segments, each a file "dynamodb-<seq>.journal"
// that starts with a magic header and then holds framed records:
//
//	uint32 length | uint32 CRC-32C of the length | uint32 CRC-32C of the payload | payload
//
// The length has its own checksum so that a damaged length is told apart
// from a record cut short by a crash: only a record whose header is sound
// and whose payload runs past the end of the last segment (or a tail of
// zero bytes, as a file system may leave after a crash) counts as
// incomplete. Such a record was never acknowledged — acknowledgement waits
// for the fsync that covers it — so it alone may be discarded. Anything
// else that fails its checksum is corruption of acknowledged data.
const (
	journalMagic  = "SPJRNL01"
	snapshotMagic = "SPSNAP01"
	recordHeader  = 12
	maxRecord     = 256 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func frame(dst, payload []byte) []byte {
	var h [recordHeader]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(h[0:4], castagnoli))
	binary.LittleEndian.PutUint32(h[8:], crc32.Checksum(payload, castagnoli))
	return append(append(dst, h[:]...), payload...)
}

// IncompleteTail describes the incomplete last record discarded at start.
type IncompleteTail struct {
	File      string
	Offset    int64 // where the record starts
	Have      int64 // bytes present from Offset to the end of the file
	Want      int64 // bytes the record needed (0 when even its header is cut)
	Operation string
}

func (t IncompleteTail) String() string {
	op := t.Operation
	if op == "" {
		op = "unreadable"
	}
	return fmt.Sprintf("%s: incomplete last record at offset %d (%d of %d bytes, operation %s) discarded; it was never acknowledged",
		filepath.Base(t.File), t.Offset, t.Have, t.Want, op)
}

// CorruptError is a record that fails its checksum where acknowledged data
// should be. The store refuses to start rather than drop what follows.
type CorruptError struct {
	File    string
	Record  int   // index of the bad record in its file, from 0
	Offset  int64 // where it starts
	Reason  string
	After   int64 // bytes from Offset to the end of the file
	Records int   // records before it in the file, kept
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s: record %d at offset %d is corrupt (%s); %d bytes from there to the end of the file hold acknowledged writes "+
		"that would be lost: refusing to start. To start from the %d records before it and set the rest aside in a .corrupt file, set SPORTELLO_JOURNAL_SALVAGE=1",
		filepath.Base(e.File), e.Record, e.Offset, e.Reason, e.After, e.Records)
}

// readRecords calls fn for each record of data (a whole file, magic
// included). last says whether the file is the newest segment, the only
// place an incomplete record may be. It returns the offset after the last
// good record and the incomplete tail, if any.
func readRecords(path string, data []byte, magic string, last bool, fn func(payload []byte) error) (int64, *IncompleteTail, error) {
	if len(data) < len(magic) {
		if last && bytes.Equal(data, []byte(magic)[:len(data)]) {
			// Cut while its header was being written: nothing in it yet.
			return 0, &IncompleteTail{File: path, Have: int64(len(data)), Want: int64(len(magic))}, nil
		}
		return 0, nil, &CorruptError{File: path, Reason: "file shorter than its header", After: int64(len(data))}
	}
	if string(data[:len(magic)]) != magic {
		return 0, nil, &CorruptError{File: path, Reason: "not a journal file (bad magic)", After: int64(len(data))}
	}
	off := int64(len(magic))
	n := 0
	for off < int64(len(data)) {
		rest := data[off:]
		corrupt := func(reason string) error {
			return &CorruptError{File: path, Record: n, Offset: off, Reason: reason, After: int64(len(rest)), Records: n}
		}
		if last && allZero(rest) {
			return off, &IncompleteTail{File: path, Offset: off, Have: int64(len(rest))}, nil
		}
		if len(rest) < recordHeader {
			if last {
				return off, &IncompleteTail{File: path, Offset: off, Have: int64(len(rest)), Want: recordHeader}, nil
			}
			return off, nil, corrupt("cut short inside its header")
		}
		size := binary.LittleEndian.Uint32(rest[0:])
		if crc32.Checksum(rest[0:4], castagnoli) != binary.LittleEndian.Uint32(rest[4:]) || size > maxRecord {
			return off, nil, corrupt("length checksum mismatch")
		}
		end := recordHeader + int64(size)
		if end > int64(len(rest)) {
			if last {
				return off, &IncompleteTail{File: path, Offset: off, Have: int64(len(rest)), Want: end, Operation: operationOf(rest[recordHeader:])}, nil
			}
			return off, nil, corrupt("cut short inside its payload")
		}
		payload := rest[recordHeader:end]
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(rest[8:]) {
			return off, nil, corrupt("payload checksum mismatch")
		}
		if err := fn(payload); err != nil {
			return off, nil, fmt.Errorf("%s: record %d at offset %d: %w", filepath.Base(path), n, off, err)
		}
		off += end
		n++
	}
	return off, nil, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// operationOf names the DynamoDB operation in a (possibly partial) journal
// payload, for the report of what an incomplete record held.
func operationOf(partial []byte) string {
	i := bytes.Index(partial, []byte(`"DynamoDB_20120810.`))
	if i < 0 {
		return ""
	}
	rest := partial[i+len(`"DynamoDB_20120810.`):]
	if j := bytes.IndexByte(rest, '"'); j > 0 {
		return string(rest[:j])
	}
	return ""
}

// JournalFile is what the journal needs of an open segment; tests wrap
// *os.File to make writes fail as a full or failing disk does.
type JournalFile interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// errJournal marks a write that was applied in memory but could not be made
// durable; the client gets 503 and nothing is acknowledged.
var errJournal = errors.New("journal write failed")

// journal appends records and makes them durable in groups: writers append
// under the store's write lock and then wait, without it, for the fsync
// that covers their record (group commit). One fsync thus acknowledges
// every write that arrived while the previous one ran.
type journal struct {
	mu                sync.Mutex
	work              *sync.Cond // the committer waits for records
	synced            *sync.Cond // writers wait for their record's fsync
	f                 JournalFile
	seq               int   // current segment
	size              int64 // durable bytes of the current segment
	buf               []byte
	spare             []byte
	appended, durable uint64
	// failed is set when a write or fsync failed; everything fails with it
	// until the store is rebuilt from what is on disk.
	failed  error
	lost    [][2]uint64 // LSN ranges (lo, hi] that were never made durable
	closing bool
	stopped chan struct{}
	// onCommit runs after each durable batch, without mu (snapshot policy).
	onCommit func(size int64)
	// onFail runs in the committer after a failure: it must rebuild the
	// store from disk and call reset.
	onFail func(err error)
	// Syncs counts fsyncs (for benches).
	syncs uint64
}

func newJournal(f JournalFile, seq int, size int64) *journal {
	j := &journal{f: f, seq: seq, size: size, stopped: make(chan struct{})}
	j.work, j.synced = sync.NewCond(&j.mu), sync.NewCond(&j.mu)
	go j.commitLoop()
	return j
}

// append buffers one record and returns its sequence number.
func (j *journal) append(payload []byte) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failed != nil {
		return 0, fmt.Errorf("%w: %v", errJournal, j.failed)
	}
	if j.closing {
		return 0, fmt.Errorf("%w: store closing", errJournal)
	}
	j.buf = frame(j.buf, payload)
	j.appended++
	j.work.Signal()
	return j.appended, nil
}

// last is the newest record appended: a read that saw the state waits for it.
func (j *journal) last() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appended
}

// wait blocks until record lsn is durable, or reports that it never will be.
func (j *journal) wait(lsn uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for {
		for _, r := range j.lost {
			if lsn > r[0] && lsn <= r[1] {
				return fmt.Errorf("%w: record %d was not made durable", errJournal, lsn)
			}
		}
		if j.failed != nil {
			return fmt.Errorf("%w: %v", errJournal, j.failed)
		}
		if j.durable >= lsn {
			return nil
		}
		j.synced.Wait()
	}
}

func (j *journal) commitLoop() {
	defer close(j.stopped)
	for {
		j.mu.Lock()
		for len(j.buf) == 0 && !j.closing {
			j.work.Wait()
		}
		if len(j.buf) == 0 {
			j.mu.Unlock()
			return
		}
		batch, hi, f := j.buf, j.appended, j.f
		j.buf, j.spare = j.spare[:0], nil
		j.mu.Unlock()

		_, err := f.Write(batch)
		if err == nil {
			err = f.Sync()
		}
		j.mu.Lock()
		j.spare = batch
		j.syncs++
		if err != nil {
			j.failed = err
			j.lost = append(j.lost, [2]uint64{j.durable, j.appended})
			j.buf = j.buf[:0]
			j.synced.Broadcast()
			j.mu.Unlock()
			if j.onFail != nil {
				j.onFail(err)
			}
			continue
		}
		j.durable = hi
		j.size += int64(len(batch))
		size := j.size
		j.synced.Broadcast()
		j.mu.Unlock()
		if j.onCommit != nil {
			j.onCommit(size)
		}
	}
}

// bytes is the durable length of the current segment.
func (j *journal) bytes() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.size
}

// flush waits until everything appended is durable.
func (j *journal) flush() error { return j.wait(j.last()) }

// reset clears a failure once the store was rebuilt from disk; f is the
// reopened segment and size its length.
func (j *journal) reset(f JournalFile, seq int, size int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.f, j.seq, j.size, j.failed = f, seq, size, nil
	j.buf = j.buf[:0]
	// A fresh number, outside every lost range, marks the reloaded state
	// as durable for the reads that see it.
	j.appended++
	j.durable = j.appended
	j.synced.Broadcast()
}

// rotate starts segment seq in f; the caller holds the store's write lock
// and has flushed, so no record is in flight.
func (j *journal) rotate(f JournalFile, seq int) JournalFile {
	j.mu.Lock()
	defer j.mu.Unlock()
	old := j.f
	j.f, j.seq, j.size = f, seq, int64(len(journalMagic))
	return old
}

func (j *journal) close() error {
	j.mu.Lock()
	j.closing = true
	j.work.Signal()
	j.mu.Unlock()
	<-j.stopped
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}

func segmentName(dir string, seq int, kind string) string {
	return filepath.Join(dir, fmt.Sprintf("dynamodb-%08d.%s", seq, kind))
}

// syncDir makes a file's creation, rename or removal durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
