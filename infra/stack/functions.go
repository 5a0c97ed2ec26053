package stack

import (
	"sportello/shared/cloud"
	"sportello/shared/web"
)

// Functions of the stack, in a stable order. Each is ./functions/<name>,
// built by `make build` into <AssetRoot>/<name>/bootstrap.
var Functions = []string{"calls", "submissions", "uploads", "documents", "windows", "allocation", "public", "web", "relay"}

// FunctionSpec is a function's sizing, chosen deliberately.
type FunctionSpec struct {
	MemoryMB   int
	TimeoutSec int
	// Async functions are invoked by S3, EventBridge or the Scheduler:
	// throttled or failed events wait in Lambda's own queue and are retried,
	// then land in the function's dead-letter queue.
	Async bool
}

// Specs sizes each function.
var Specs = map[string]FunctionSpec{
	// HTTP functions answer within API Gateway's 29 s integration limit.
	// calls and uploads are light reads and signatures.
	"calls":   {MemoryMB: 256, TimeoutSec: 29},
	"uploads": {MemoryMB: 256, TimeoutSec: 29},
	// submissions takes the noon rush (every Comune filing in the last
	// minutes): the largest share, so calls or uploads can never starve it,
	// and more memory (= more CPU) for validation and the PDF receipts.
	"submissions": {MemoryMB: 512, TimeoutSec: 29},
	// public: the anonymous calculators and health; bounded inputs
	// (shared/routes.Limits), so 10 s is ample.
	"public": {MemoryMB: 256, TimeoutSec: 10},
	// web: embedded files and the sign-in settings; nothing to compute.
	"web": {MemoryMB: 128, TimeoutSec: 10},
	// documents streams uploads of up to 50 MB through SHA-256 and the
	// signature-envelope parser: CPU-bound, hence 1 GB.
	"documents": {MemoryMB: 1024, TimeoutSec: 300, Async: true},
	// windows: one copy at a time, so the close-time work (expiring drafts,
	// recording who took part) never runs concurrently with itself; a
	// schedule firing while the reconcile runs simply waits its turn in
	// Lambda's async queue.
	"windows": {MemoryMB: 256, TimeoutSec: 300, Async: true},
	// allocation: one riparto at a time, so two announcements for a call are
	// computed in order; a large call takes minutes, hence 15 min and 1 GB.
	"allocation": {MemoryMB: 1024, TimeoutSec: 900, Async: true},
	// relay: the table's stream, outbox items only, batches of up to
	// RelayBatchSize messages, each one SES or EventBridge call (tens to
	// hundreds of ms, throttled ones retried by the SDK): 60 s is ample. Not
	// async: a failed batch is retried by the event source mapping, then
	// described in the relay's own SQS dead-letter queue (triggers()).
	"relay": {MemoryMB: 256, TimeoutSec: 60},
}

// EnvNames lists, per function, the environment variables the stack sets:
// exactly those shared/cloud requires at the function's startup (names of
// resources only, never secrets or data).
var EnvNames = map[string][]string{
	// calls builds the window service (scheduler) and the allocation
	// service (its announcements are outbox items of the run's transaction;
	// its Blobs are never used by calls, which has no S3 right).
	"calls": {cloud.EnvTable, cloud.EnvBucket, cloud.EnvSchedulerGroup, cloud.EnvSchedulerRole, cloud.EnvWindowsARN},
	// submissions also serves the rendicontazione: its signed files
	// (rendiconti/ in the bucket) and the key sealing children's codes.
	// Its e-mails are outbox items: it sends nothing, so it has no sender.
	"submissions": {cloud.EnvTable, cloud.EnvBucket, cloud.EnvPIIKey},
	// uploads builds the submission service to check ownership; it never
	// files.
	"uploads":    {cloud.EnvTable, cloud.EnvBucket},
	"documents":  {cloud.EnvTable, cloud.EnvBucket},
	"windows":    {cloud.EnvTable, cloud.EnvSchedulerGroup, cloud.EnvSchedulerRole, cloud.EnvWindowsARN},
	"allocation": {cloud.EnvTable, cloud.EnvBucket},
	// relay: the only sender, of e-mails (SES) and events (the bus).
	"relay":  {cloud.EnvTable, cloud.EnvSender, cloud.EnvEventBus},
	"public": nil, // no table, no bucket: computes from the request alone
	// web: only the sign-in settings and the bucket's origin (shared/web),
	// set in api() where the Cognito client and the hosted domain are made.
	"web": {web.EnvClientID, web.EnvAuthBase, web.EnvConnect},
}

// ProdReserved is prod's default reserved concurrency (context
// reservedConcurrency overrides it). A reservation is both a floor (capacity
// no neighbour can take) and a ceiling (the most copies that ever run at
// once). The total (312) needs an account quota of at least 412, since
// Lambda keeps 100 unreserved: ParseConfig checks it against
// concurrencyQuota before anything is synthesized.
//
//   - submissions takes the noon rush: the largest share, so no other route
//     can starve filing;
//   - windows and allocation run one copy at a time in prod, so close-time
//     work and riparti run in order. Correctness never rests on it (every
//     step is idempotent and conditional), which is why dev, usually a
//     fresh account with a quota of 10, reserves nothing.
//   - relay reserves nothing: the stream bounds it (one batch at a time per
//     shard), and a reservation would only add a way to throttle e-mail.
var ProdReserved = map[string]int{
	"calls": 20, "uploads": 50, "submissions": 200, "documents": 20, "windows": 1, "allocation": 1,
	// public: a ceiling, so anonymous traffic never takes more than 10
	// copies from the account's pool, whatever the route throttles let in.
	"public": 10,
	// web: the same kind of ceiling for the pages' files.
	"web": 10,
}

// RelayBatchSize is the most stream records one relay invocation takes.
const RelayBatchSize = 10
