package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"sportello/infra/local/emulator"
	"sportello/infra/local/server"
	"sportello/shared/dynamo"
)

// restartReport measures, after a durable rush, what a kill -9 costs: the
// store is started again from a copy of its files taken while it runs (as
// a crash leaves them: the last snapshot and the journal since), beside a
// start from a fresh snapshot of the same live data. It also prints how
// many writes each fsync acknowledged (group commit) and the raw
// transaction latency on the durable store beside an in-memory one.
func restartReport(ctx context.Context, rt *server.Runtime, dir string, arrivals, durableRaw []time.Duration) error {
	mem, err := emulator.StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		return err
	}
	defer mem.Close()
	if err := dynamo.New(mem.Client(), rt.Store.Table()).CreateTable(ctx); err != nil {
		return err
	}
	memRaw := rawAt(ctx, mem.Client(), rt.Store.Table(), arrivals)
	fmt.Printf("durable store: %d fsyncs for the whole run (group commit); raw TransactWriteItems p99 durable %s vs in memory %s: ratio %.1f\n",
		rt.DynamoDB.Syncs(), pct(durableRaw, 99).Round(time.Microsecond), pct(memRaw, 99).Round(time.Microsecond),
		float64(pct(durableRaw, 99))/float64(max(pct(memRaw, 99), 1)))

	rt.DynamoDB.WaitSnapshot()
	crashed, err := copyStore(dir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(crashed)
	start, cpu0 := time.Now(), cpuTime()
	after, err := emulator.StartDynamoDBWith("127.0.0.1:0", emulator.Options{Dir: crashed, SnapshotAfter: -1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("restart after the rush: %w", err)
	}
	restart, restartCPU := time.Since(start), cpuTime()-cpu0
	rec := after.Recovery
	if err := after.Snapshot(); err != nil {
		return err
	}
	fresh, err := copyStore(crashed)
	if err != nil {
		return err
	}
	defer os.RemoveAll(fresh)
	after.Close()
	start, cpu0 = time.Now(), cpuTime()
	loaded, err := emulator.StartDynamoDBWith("127.0.0.1:0", emulator.Options{Dir: fresh, SnapshotAfter: -1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	load, loadCPU := time.Since(start), cpuTime()-cpu0
	rows := loaded.Recovery.SnapshotRows
	loaded.Close()
	fmt.Printf("restart after a kill -9 at the end of the rush: %s (CPU %s; snapshot %d with %d rows + %d journal records) vs loading the same %d live items from a snapshot: %s (CPU %s); ratio %.2f\n",
		restart.Round(time.Millisecond), restartCPU.Round(time.Millisecond), rec.Snapshot, rec.SnapshotRows, rec.Records, rows,
		load.Round(time.Millisecond), loadCPU.Round(time.Millisecond), float64(restart)/float64(load))
	return nil
}

// copyStore copies the DynamoDB files of a data directory without stopping
// the store: every acknowledged write is already in them.
func copyStore(dir string) (string, error) {
	to, err := os.MkdirTemp("", "rush-restart-")
	if err != nil {
		return "", err
	}
	names, _ := filepath.Glob(filepath.Join(dir, "dynamodb-*"))
	for _, n := range names {
		if strings.HasSuffix(n, ".tmp") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(n)), b, 0o600); err != nil {
			return "", err
		}
	}
	return to, nil
}

// cpuTime is the CPU this process has used (user + system): on a shared
// machine it says what a restart costs when the process has its cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
