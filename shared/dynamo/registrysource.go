package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"sportello/shared/outbox"
	"sportello/shared/program"
	"sportello/shared/registry"
)

// RegistrySource builds a call's registry (the ISTAT list plus the rows
// officers imported for the call) and keeps it for TTL, so a noon rush
// does not re-read it on every filing. An import in another process is
// seen at most TTL later.
type RegistrySource struct {
	Store  *Store
	Comuni func() []program.Comune // the ISTAT list, read on first use (not at cold start)
	TTL    time.Duration

	mu      sync.Mutex
	cache   map[string]cachedRegistry
	loading sync.Map // callID → *sync.Mutex: one load per call at a time
}

type cachedRegistry struct {
	reg *registry.Memory
	at  time.Time
}

func (r *RegistrySource) cached(callID string) (program.Registry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cache[callID]
	if ok && time.Since(c.at) < r.TTL {
		return c.reg, true
	}
	return nil, false
}

// Registry returns the registry of callID. Concurrent misses wait for one
// load instead of all reading the table (the noon rush starts cold).
func (r *RegistrySource) Registry(ctx context.Context, callID string) (program.Registry, error) {
	if reg, ok := r.cached(callID); ok {
		return reg, nil
	}
	l, _ := r.loading.LoadOrStore(callID, &sync.Mutex{})
	mu := l.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	if reg, ok := r.cached(callID); ok {
		return reg, nil
	}
	rows, err := r.Store.RegistryRows(ctx, callID, "")
	if err != nil {
		return nil, err
	}
	list := make([]program.Row, len(rows))
	for i, row := range rows {
		if !json.Valid([]byte(row.JSON)) {
			return nil, fmt.Errorf("registry row %s#%s: not JSON", row.Kind, row.ID)
		}
		list[i] = program.Row{Kind: row.Kind, ID: row.ID, Key: row.Key, JSON: json.RawMessage(row.JSON)}
	}
	reg := registry.NewMemory(r.Comuni(), list)
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[string]cachedRegistry{}
	}
	r.cache[callID] = cachedRegistry{reg: reg, at: time.Now()}
	r.mu.Unlock()
	return reg, nil
}

// Forget drops a call's cached registry (after an import in this process).
func (r *RegistrySource) Forget(callID string) {
	r.mu.Lock()
	delete(r.cache, callID)
	r.mu.Unlock()
}

// ImportRows stores rows of the list of kind for a call (a row with the
// id of a stored one replaces it), with no audit line (seeding, benches).
func (s *Store) ImportRows(ctx context.Context, callID, kind string, rows []program.Row) error {
	return s.ImportRowsWith(ctx, callID, kind, rows, outbox.Effects{})
}

// ImportRowsWith is ImportRows with the import's effects (its audit line)
// in the transaction that puts the import in force. A list rarely fits
// one transaction (100 items, 4 MB; the AFAM_UDOS registry has thousands
// of rows), so the import is written as a new generation of the list
// where no reader looks, then made the list in force in one transaction
// with the line (registry.go): a crash before it leaves the list before
// fully in force and no line, and the officer's repeat imports it whole
// (docs/reliability.md).
func (s *Store) ImportRowsWith(ctx context.Context, callID, kind string, rows []program.Row, fx outbox.Effects) error {
	out := make([]RegistryRow, len(rows))
	for i, r := range rows {
		if r.Kind != kind {
			return fmt.Errorf("import %s into %s: a row of kind %q", kind, callID, r.Kind)
		}
		out[i] = RegistryRow{Kind: kind, ID: r.ID, Key: r.Key, JSON: string(r.JSON)}
	}
	return s.importRows(ctx, callID, kind, out, fx)
}
