package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// logBuf collects what the store reports.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func startAt(t *testing.T, o Options) (*DynamoDB, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	o.Log = slog.New(slog.NewTextHandler(lb, nil))
	d, err := StartDynamoDBWith("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	return d, lb
}

func createTable(t *testing.T, d *DynamoDB) {
	t.Helper()
	_, err := d.Client().CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("t"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func put(d *DynamoDB, pk, v string) error {
	_, err := d.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("t"), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "META"}, "v": &types.AttributeValueMemberS{Value: v}}})
	return err
}

func get(t *testing.T, d *DynamoDB, pk string) string {
	t.Helper()
	out, err := d.Client().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"), ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "META"}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return ""
	}
	return out.Item["v"].(*types.AttributeValueMemberS).Value
}

// crashCopy copies the data directory as a crash would leave it: every
// acknowledged write is already on disk, nothing is closed or flushed.
func crashCopy(t *testing.T, dir string) string {
	t.Helper()
	to := t.TempDir()
	names, _ := os.ReadDir(dir)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, n.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

func lastJournal(t *testing.T, dir string) string {
	t.Helper()
	segs, _ := listSegments(dir, "journal")
	if len(segs) == 0 {
		t.Fatal("no journal segment")
	}
	return segs[len(segs)-1].path
}

// recordOffsets lists where each record of a journal file starts.
func recordOffsets(t *testing.T, path string) []int64 {
	t.Helper()
	data, _ := os.ReadFile(path)
	var offs []int64
	off := int64(len(journalMagic))
	_, _, err := readRecords(path, data, journalMagic, true, func(p []byte) error {
		offs = append(offs, off)
		off += int64(recordHeader + len(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return offs
}

func TestWritesAreAcknowledgedOnlyAfterAnFsyncThatCoversManyOfThem(t *testing.T) {
	dir := t.TempDir()
	d, _ := startAt(t, Options{Dir: dir, SnapshotAfter: -1})
	createTable(t, d)
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := put(d, fmt.Sprint("k", i), "v"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	syncs := d.Syncs()
	if syncs == 0 || syncs >= n {
		t.Fatalf("%d fsyncs for %d concurrent writes: want at least one, and fewer than writes (group commit)", syncs, n)
	}
	// Every acknowledged write is on disk before the process goes: a copy
	// taken now, without closing anything, holds them all.
	c, _ := startAt(t, Options{Dir: crashCopy(t, dir)})
	defer c.Close()
	for i := range n {
		if get(t, c, fmt.Sprint("k", i)) != "v" {
			t.Fatalf("acknowledged k%d missing after a crash", i)
		}
	}
	d.Close()
}

func TestTornTailDropsOnlyTheIncompleteLastRecordLoudlyAndLaterWritesSurvive(t *testing.T) {
	dir := t.TempDir()
	d, _ := startAt(t, Options{Dir: dir, SnapshotAfter: -1})
	createTable(t, d)
	for _, k := range []string{"a", "b", "c"} {
		if err := put(d, k, "v"); err != nil {
			t.Fatal(err)
		}
	}
	crashed := crashCopy(t, dir)
	d.Close()
	j := lastJournal(t, crashed)
	offs := recordOffsets(t, j)
	fi, _ := os.Stat(j)
	// Cut inside the last record, as a crash in the middle of its write would.
	cut := offs[len(offs)-1] + (fi.Size()-offs[len(offs)-1])/2
	if err := os.Truncate(j, cut); err != nil {
		t.Fatal(err)
	}
	r, logs := startAt(t, Options{Dir: crashed, SnapshotAfter: -1})
	if r.Recovery.Discarded == nil || !strings.Contains(logs.String(), "discarded an incomplete last record") ||
		!strings.Contains(logs.String(), "operation PutItem") || !strings.Contains(logs.String(), "never acknowledged") {
		t.Fatalf("torn tail not reported loudly: %+v\n%s", r.Recovery, logs)
	}
	if get(t, r, "a") != "v" || get(t, r, "b") != "v" || get(t, r, "c") != "" {
		t.Fatal("want a and b kept, the torn c dropped")
	}
	if err := put(r, "d", "v"); err != nil {
		t.Fatal(err)
	}
	again := crashCopy(t, crashed)
	r.Close()
	r2, logs2 := startAt(t, Options{Dir: again})
	defer r2.Close()
	if get(t, r2, "d") != "v" || get(t, r2, "b") != "v" {
		t.Fatal("a write made after a torn tail was lost at the next restart")
	}
	if r2.Recovery.Discarded != nil || strings.Contains(logs2.String(), "discarded") {
		t.Fatalf("second restart found a torn tail again: %s", logs2)
	}
}

func TestCorruptMiddleRecordRefusesToStartAndNamesWhatWouldBeLost(t *testing.T) {
	dir := t.TempDir()
	d, _ := startAt(t, Options{Dir: dir, SnapshotAfter: -1})
	createTable(t, d)
	for _, k := range []string{"a", "b", "c"} {
		if err := put(d, k, "v"); err != nil {
			t.Fatal(err)
		}
	}
	crashed := crashCopy(t, dir)
	d.Close()
	j := lastJournal(t, crashed)
	offs := recordOffsets(t, j) // create table, a, b, c
	data, _ := os.ReadFile(j)
	data[offs[2]+recordHeader+5] ^= 0x20 // one bit of b's payload
	if err := os.WriteFile(j, data, 0o600); err != nil {
		t.Fatal(err)
	}

	lb := &logBuf{}
	_, err := StartDynamoDBWith("127.0.0.1:0", Options{Dir: crashed, Log: slog.New(slog.NewTextHandler(lb, nil))})
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Record != 2 || ce.Offset != offs[2] {
		t.Fatalf("want a corrupt record 2 at %d, got %v", offs[2], err)
	}
	for _, want := range []string{"payload checksum mismatch", "refusing to start", "SPORTELLO_JOURNAL_SALVAGE"} {
		if !strings.Contains(err.Error(), want) || !strings.Contains(lb.String(), want) {
			t.Fatalf("error and log should say %q: %v\n%s", want, err, lb)
		}
	}
	// The operator may choose to start from what precedes the damage; the
	// rest is kept aside, and the log says so.
	s, logs := startAt(t, Options{Dir: crashed, Salvage: true})
	defer s.Close()
	if get(t, s, "a") != "v" || get(t, s, "b") != "" || get(t, s, "c") != "" {
		t.Fatal("salvage keeps exactly the records before the damage")
	}
	if len(s.Recovery.Salvaged) != 1 || !strings.Contains(logs.String(), "SALVAGED") {
		t.Fatalf("salvage not reported: %+v\n%s", s.Recovery, logs)
	}
	if aside, _ := os.ReadFile(s.Recovery.Salvaged[0]); !bytes.Equal(aside, data[offs[2]:]) {
		t.Fatal("the set-aside file must hold every byte after the damage")
	}
}

// fullDisk fails writes as a full file system does: part of the data may
// land, then ENOSPC.
type fullDisk struct {
	*os.File
	full *atomic.Bool
}

func (f fullDisk) Write(p []byte) (int, error) {
	if f.full.Load() {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.Write(p)
}

func TestFullDiskAcknowledgesNothingAndLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	full := &atomic.Bool{}
	wrap := func(f *os.File) JournalFile { return fullDisk{File: f, full: full} }
	d, logs := startAt(t, Options{Dir: dir, SnapshotAfter: -1, WrapFile: wrap})
	defer d.Close()
	createTable(t, d)
	if err := put(d, "before", "v"); err != nil {
		t.Fatal(err)
	}
	full.Store(true)
	for i := range 5 {
		err := put(d, fmt.Sprint("during", i), "v")
		if err == nil || !strings.Contains(err.Error(), "ServiceUnavailable") {
			t.Fatalf("write on a full disk: want ServiceUnavailable, got %v", err)
		}
	}
	if !strings.Contains(logs.String(), "journal write failed") || !strings.Contains(logs.String(), "no space left on device") {
		t.Fatalf("the failure is not reported: %s", logs)
	}
	full.Store(false)
	if get(t, d, "during0") != "" || get(t, d, "before") != "v" {
		t.Fatal("after a failed write the store must show exactly what is durable")
	}
	if err := put(d, "after", "v"); err != nil {
		t.Fatalf("once space is back writes succeed: %v", err)
	}
	c, _ := startAt(t, Options{Dir: crashCopy(t, dir)})
	defer c.Close()
	if get(t, c, "before") != "v" || get(t, c, "after") != "v" {
		t.Fatal("acknowledged writes lost")
	}
	for i := range 5 {
		if get(t, c, fmt.Sprint("during", i)) != "" {
			t.Fatal("a write refused with 503 reappeared after restart")
		}
	}
}

func TestSnapshotsBoundWhatRestartReplays(t *testing.T) {
	dir := t.TempDir()
	d, _ := startAt(t, Options{Dir: dir, SnapshotAfter: 2 << 10})
	createTable(t, d)
	// Ten live items rewritten many times: history grows, live data does not.
	for i := range 400 {
		if err := put(d, fmt.Sprint("k", i%10), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	d.snapMu.Lock()   // wait for a snapshot in progress
	d.snapMu.Unlock() //nolint:staticcheck // SA2001: the empty critical section waits for a snapshot in progress
	c, _ := startAt(t, Options{Dir: crashCopy(t, dir)})
	defer c.Close()
	if c.Recovery.Snapshot == 0 || c.Recovery.Records >= 400/2 {
		t.Fatalf("restart replayed %d records beside snapshot %d: want a snapshot and a short journal", c.Recovery.Records, c.Recovery.Snapshot)
	}
	for i := range 10 {
		if got := get(t, c, fmt.Sprint("k", i)); got != fmt.Sprint(390+i) {
			t.Fatalf("k%d = %s after restart", i, got)
		}
	}
	segs, _ := listSegments(dir, "journal")
	if len(segs) > 2 {
		t.Fatalf("%d journal segments kept: covered segments must be removed", len(segs))
	}
	d.Close()
	// A clean stop leaves a snapshot and nothing to replay.
	e, _ := startAt(t, Options{Dir: dir})
	defer e.Close()
	if e.Recovery.Records != 0 || get(t, e, "k3") != "393" {
		t.Fatalf("after a clean stop: %d records replayed", e.Recovery.Records)
	}
}

func TestLegacyJSONJournalIsImported(t *testing.T) {
	dir := t.TempDir()
	legacy := `{"t":"DynamoDB_20120810.CreateTable","b":{"TableName":"t","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST"}}
{"t":"DynamoDB_20120810.PutItem","b":{"TableName":"t","Item":{"pk":{"S":"old"},"sk":{"S":"META"},"v":{"S":"kept"}}}}
`
	if err := os.WriteFile(filepath.Join(dir, "dynamodb.journal"), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	d, _ := startAt(t, Options{Dir: dir})
	defer d.Close()
	if get(t, d, "old") != "kept" {
		t.Fatal("legacy journal not imported")
	}
	if _, err := os.Stat(filepath.Join(dir, "dynamodb.journal.imported")); err != nil {
		t.Fatal(err)
	}
}

var _ io.Writer = fullDisk{}
