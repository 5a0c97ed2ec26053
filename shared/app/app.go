// Package app is the one constructor of sportello: ports in (storage,
// blobs, scheduler, mailer, events, clock), the use-case services out.
// Every entry point builds the application through New: the Lambda mains
// (functions/*), the local runtime (infra/local/server) and the benches
// that run it. The HTTP handlers (shared/handlers) bind to the services
// and the route table (shared/routes).
//
// A function passes the ports it uses; a service whose port is missing is
// not used by that function (its routes are served elsewhere).
package app

import (
	"context"
	"log/slog"

	"sportello/shared/allocation"
	"sportello/shared/call"
	"sportello/shared/catalog"
	"sportello/shared/clock"
	"sportello/shared/document"
	"sportello/shared/intake"
	"sportello/shared/outputs"
	"sportello/shared/program"
	"sportello/shared/registry"
	"sportello/shared/rendiconto"
	"sportello/shared/submission"
	"sportello/shared/windows"
)

// Store is the storage port: everything every use case needs (the
// DynamoDB adapter implements it).
type Store interface {
	call.Store
	submission.Store
	document.Store
	registry.Store
	allocation.Store
	windows.Store
	intake.Store
	rendiconto.Store
	outputs.Store
}

// Blobs is the documents bucket: signed uploads and downloads, and reads
// for verification.
type Blobs interface {
	document.Blobs
	intake.Blobs
	rendiconto.Files
}

// Mailer composes what is written to applicants and offices: filing
// receipts and decisions, integration notices, receipts of liquidation
// requests, the fund published on a call. The services write them to the
// outbox in the transaction of their change (the fund's, one per Comune,
// right after it); the relay (shared/outbox) sends them.
type Mailer interface {
	submission.Notifier
	rendiconto.Notifier
	allocation.Notifier
}

// Registries gives each call's reference data (the ISTAT list plus the
// lists officers imported), cached; Forget drops one call's.
type Registries interface {
	Registry(ctx context.Context, callID string) (program.Registry, error)
	Forget(callID string)
}

// Ports are what the application runs on. No port sends anything: every
// e-mail and event of a change is an outbox item of its transaction.
type Ports struct {
	Store      Store
	Registries Registries
	Blobs      Blobs             // documents
	Exports    allocation.Blobs  // riparto inputs and exports
	Scheduler  windows.Scheduler // one-time schedules of window instants
	Mailer     Mailer            // nil: no e-mail
	PII        rendiconto.Box    // seals children's codes (shared/pii); nil where no rendicontazione is served
	Clock      clock.Clock
	Log        *slog.Logger
	// Programs run by this deployment; nil: the catalog's.
	Programs map[string]program.Program
}

// App is the application: one service per use case.
type App struct {
	Clock       clock.Clock
	Log         *slog.Logger
	Programs    program.Programs
	Calls       *call.Service
	Submissions *submission.Service
	Documents   *document.Service
	Registry    *registry.Service
	Allocation  *allocation.Service
	Windows     *windows.Service
	Intake      *intake.Service
	Rendiconto  *rendiconto.Service
	Outputs     *outputs.Service
}

// New builds the application from its ports.
func New(p Ports) *App {
	progs := program.Programs(p.Programs)
	if progs == nil {
		progs = catalog.All()
	}
	if p.Clock == nil {
		p.Clock = clock.System{}
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	var names registry.Names
	var source registry.Source
	if p.Registries != nil {
		names.Source, source = p.Registries, p.Registries
	}
	var sources submission.Registries
	if p.Registries != nil {
		sources = p.Registries
	}
	a := &App{Clock: p.Clock, Log: p.Log, Programs: progs}
	a.Windows = &windows.Service{Store: p.Store, Clock: p.Clock, Scheduler: p.Scheduler, Log: p.Log}
	a.Calls = &call.Service{Store: p.Store, Scheduler: a.Windows, Programs: progs, Clock: p.Clock, Log: p.Log}
	a.Submissions = &submission.Service{Store: p.Store, Programs: progs, Registries: sources, Notifier: p.Mailer, Clock: p.Clock, Log: p.Log}
	a.Rendiconto = &rendiconto.Service{Store: p.Store, Box: p.PII, Files: p.Blobs, Notifier: p.Mailer, Programs: progs,
		Clock: p.Clock, Log: p.Log}
	a.Documents = &document.Service{Store: p.Store, Blobs: p.Blobs, Applications: a.Submissions, Programs: progs, Names: names, Clock: p.Clock}
	a.Registry = &registry.Service{Store: p.Store, Source: source, Programs: progs, Clock: p.Clock}
	a.Allocation = &allocation.Service{Store: p.Store, Blobs: p.Exports, Programs: progs, Names: names, Notifier: p.Mailer, Clock: p.Clock, Log: p.Log}
	a.Outputs = &outputs.Service{Store: p.Store, Programs: progs, Names: names, Clock: p.Clock, Log: p.Log}
	a.Intake = &intake.Service{Store: p.Store, Blobs: p.Blobs, Programs: progs, Clock: p.Clock, Log: p.Log}
	return a
}
