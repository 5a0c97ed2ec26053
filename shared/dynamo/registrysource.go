package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"sportello/shared/program"
	"sportello/shared/registry"
)

// Registry row kinds.
const (
	RowPreloaded = registry.KindPreloaded
	RowFacility  = registry.KindFacility
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
	var pre []program.PreloadedService
	var fac []program.Facility
	for _, row := range rows {
		switch row.Kind {
		case RowPreloaded:
			var s program.PreloadedService
			if err := json.Unmarshal([]byte(row.JSON), &s); err != nil {
				return nil, fmt.Errorf("registry row %s: %w", row.ID, err)
			}
			pre = append(pre, s)
		case RowFacility:
			var f program.Facility
			if err := json.Unmarshal([]byte(row.JSON), &f); err != nil {
				return nil, fmt.Errorf("registry row %s: %w", row.ID, err)
			}
			fac = append(fac, f)
		}
	}
	reg := registry.NewMemory(r.Comuni(), pre, fac)
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

// ImportPreloaded stores pre-loaded services for a call.
func (s *Store) ImportPreloaded(ctx context.Context, callID string, rows []program.PreloadedService) error {
	out := make([]RegistryRow, len(rows))
	for i, r := range rows {
		b, _ := json.Marshal(r)
		out[i] = RegistryRow{Kind: RowPreloaded, ID: r.ID, JSON: string(b)}
	}
	return s.PutRegistryRows(ctx, callID, out)
}

// ImportFacilities stores AFAM_UDOS facilities for a call.
func (s *Store) ImportFacilities(ctx context.Context, callID string, rows []program.Facility) error {
	out := make([]RegistryRow, len(rows))
	for i, r := range rows {
		b, _ := json.Marshal(r)
		out[i] = RegistryRow{Kind: RowFacility, ID: r.Code, JSON: string(b)}
	}
	return s.PutRegistryRows(ctx, callID, out)
}
