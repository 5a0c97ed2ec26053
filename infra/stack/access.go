package stack

// Partition-key prefixes of the table (shared/dynamo's key scheme). IAM's
// dynamodb:LeadingKeys condition matches the partition key of every item a
// request touches (each item of a batch, each part of a transaction), so
// each function is allowed only the partitions it uses.
const (
	pkCall     = "CALL#*"    // a call, its window events, participation, active allocation, roster (applications, rendicontazioni, runs)
	pkAudit    = "AUDIT#*"   // a call's audit trail: append-only for everyone
	pkCounter  = "COUNTER#*" // a call's protocol counter: only filing moves it
	pkSub      = "SUB#*"     // an application
	pkDoc      = "DOC#*"     // a declared document and its verification
	pkRegistry = "REG#*"     // a call's imported registries
	pkAlloc    = "ALLOC#*"   // a riparto run and its lines
	pkIdem     = "IDEM#*"    // idempotency keys and first arrivals
	pkFunds    = "IDEM#funds#*"
	pkAdvances = "RADV#*"     // a call's advances (rendicontazione)
	pkClaim    = "RC#*"       // a rendicontazione
	pkChildren = "RCHILD#*"   // a call's sealed children's codes
	pkRegister = "REGISTER#*" // a Region's protocol register entries
	pkPIIKey   = "PIIKEY"     // the KMS-encrypted data key sealing children's codes
	pkUniq     = "CLAIM#*"    // a call's uniqueness claims and association listings (filing, exclusion, withdrawal)
	pkOutbox   = "OUTBOX#*"   // an outbox message: written with the change it belongs to, its delivery state by the relay only
)

// Partition keys of gsi1 (its Query is authorised on the index's own key).
const (
	ixCalls  = "CALLS"         // every call, by region
	ixSubs   = "CALL#*#SUBS"   // a call's applications
	ixAllocs = "CALL#*#ALLOCS" // a call's riparto runs
	ixDocs   = "SUB#*#DOCS"    // an application's documents
	ixAudit  = "SUB#*#AUDIT"   // an application's audit lines
	ixClaims = "CALL#*#RC"     // a call's rendicontazioni
	ixOutbox = "OUTBOX#*"      // the pending and the dead-lettered outbox messages
)

// DeliveryAttributes are the attributes the relay may set on an outbox
// message (its delivery state), with the table's and the index's keys,
// which IAM's dynamodb:Attributes condition must also list.
var DeliveryAttributes = []string{"pk", "sk", "gsi1pk", "gsi1sk", "status", "sentAt", "attempts", "lastError"}

// Access is one function's reach into the table.
type Access struct {
	Read   []string // GetItem, Query: table partitions
	Index  []string // Query on gsi1: index partitions
	Write  []string // PutItem, UpdateItem, ConditionCheckItem (and the parts of a transaction)
	Delete []string // DeleteItem
	Batch  []string // BatchWriteItem
	// Deliver: UpdateItem of DeliveryAttributes only (the relay).
	Deliver []string
}

// TableAccess is each function's reach, read from what its services call
// in shared/dynamo. Nothing here is table-wide, and the audit trail and the
// counters are also guarded by explicit Denies (permissions), which no
// Allow added later can override.
var TableAccess = map[string]Access{
	// Calls, windows (proroga), registry imports, fund announcements,
	// riparto results and simulations.
	"calls": {
		// Applications are read current (by key) for the outputs and the
		// check that none is undecided before funds are announced.
		Read:  []string{pkCall, pkSub, pkAudit, pkRegistry, pkAlloc, pkFunds},
		Index: []string{ixCalls, ixSubs, ixAllocs},
		Write: []string{pkCall, pkAudit, pkRegistry, pkAlloc, pkFunds, pkOutbox},
		// Batches put an import's new generation of a list and delete the
		// generations it replaced (docs/reliability.md).
		Batch: []string{pkRegistry},
	},
	// Drafts, filing (application, counter, claims, idempotency), review;
	// rendicontazione (advances, claims, sealed children's codes, the
	// Region's register and its counter, the sealed data key).
	"submissions": {
		Read:  []string{pkCall, pkSub, pkCounter, pkDoc, pkRegistry, pkIdem, pkUniq, pkAdvances, pkClaim, pkChildren, pkRegister, pkPIIKey},
		Index: []string{ixSubs, ixDocs, ixAudit, ixClaims},
		Write: []string{pkSub, pkCounter, pkCall, pkIdem, pkAudit, pkUniq, pkAdvances, pkClaim, pkChildren, pkRegister, pkPIIKey, pkOutbox},
		// Batches put an order's advances and delete those of an order
		// never made (docs/reliability.md).
		Batch: []string{pkAdvances},
	},
	// Declares documents of an application it may see; signs URLs.
	"uploads": {
		Read:  []string{pkCall, pkSub, pkDoc, pkRegistry},
		Index: []string{ixDocs},
		Write: []string{pkDoc, pkAudit},
	},
	// Verifies an uploaded object: its document, the call's rules, the
	// outcome and its audit line; never an application.
	"documents": {
		Read:  []string{pkDoc, pkCall},
		Write: []string{pkDoc, pkAudit},
	},
	// Window instants: events, participation, expiring drafts.
	"windows": {
		Read:  []string{pkCall, pkSub},
		Index: []string{ixCalls, ixSubs},
		Write: []string{pkCall, pkSub, pkAudit},
	},
	// Runs a riparto: the run, the call's applications, its lines, the
	// end of the call's active run.
	"allocation": {
		Read:  []string{pkAlloc, pkCall, pkSub, pkRegistry},
		Index: []string{ixSubs},
		// The fund published on the call and its e-mails queued (Announced:
		// the FundsAnnounced delivery completes what the announcing request
		// may not have).
		Write:  []string{pkAlloc, pkAudit, pkCall, pkOutbox},
		Delete: []string{pkCall},
		Batch:  []string{pkAlloc},
	},
	// The public function computes from the request alone.
	"public": {},
	// Delivers the outbox: reads a message (and lists the pending and the
	// dead ones), and records its delivery state; never writes anything
	// else, never creates or deletes a message.
	"relay": {
		Read:    []string{pkOutbox},
		Index:   []string{ixOutbox},
		Deliver: []string{pkOutbox},
	},
	// The web function serves embedded files.
	"web": {},
}

// s3Access is each function's use of the data key through S3 (besides
// DynamoDB): signing uploads needs GenerateDataKey, reading Decrypt.
var s3KeyActions = map[string][]string{
	"uploads":     {"kms:GenerateDataKey", "kms:Decrypt"},
	"submissions": {"kms:GenerateDataKey", "kms:Decrypt"}, // signed rendicontazione files
	"documents":   {"kms:Decrypt"},
	"allocation":  {"kms:GenerateDataKey"},
}

func (a Access) any() bool {
	return len(a.Read)+len(a.Index)+len(a.Write)+len(a.Delete)+len(a.Batch)+len(a.Deliver) > 0
}
