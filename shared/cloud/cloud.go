// Package cloud builds the production adapters of a Lambda function from
// its environment (names only: table, bucket, scheduler group…; no
// secrets), so that each function's main.go is only wiring.
package cloud

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"

	samples "sportello/events"
	"sportello/shared/app"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/eventbus"
	"sportello/shared/lambdalog"
	"sportello/shared/metrics"
	"sportello/shared/notify"
	"sportello/shared/outbox"
	"sportello/shared/pii"
	"sportello/shared/piikey"
	"sportello/shared/s3blobs"
	"sportello/shared/scheduler"
)

// Environment variable names set by the stack.
const (
	EnvTable          = "SPORTELLO_TABLE"
	EnvBucket         = "SPORTELLO_BUCKET"
	EnvSchedulerGroup = "SPORTELLO_SCHEDULER_GROUP"
	EnvSchedulerRole  = "SPORTELLO_SCHEDULER_ROLE_ARN"
	EnvWindowsARN     = "SPORTELLO_WINDOWS_FUNCTION_ARN"
	EnvEventBus       = "SPORTELLO_EVENT_BUS"
	EnvSender         = "SPORTELLO_SENDER"
	EnvPIIKey         = "SPORTELLO_PII_KMS_KEY"
	// EnvOffices: the Regions' office mailboxes told of integrations,
	// "LOM=a@example.it,PIE=b@example.it" (optional).
	EnvOffices = "SPORTELLO_OFFICES"
)

// Env is what every function shares.
type Env struct {
	AWS   aws.Config
	Store *dynamo.Store
	Clock clock.Clock
	Log   *slog.Logger
}

// Load reads the environment; a missing name is a startup error, so a
// misconfigured function fails its first invocation loudly.
func Load(ctx context.Context) (*Env, error) {
	table, err := Require(EnvTable)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	// Every AWS call (DynamoDB, S3, Scheduler, SES, EventBridge) becomes a
	// subsegment of the invocation's X-Ray trace (active tracing).
	awsv2.AWSV2Instrumentor(&cfg.APIOptions)
	metrics.Enable(os.Stdout)
	return &Env{
		AWS:   cfg,
		Store: dynamo.New(dynamodb.NewFromConfig(cfg), table),
		Clock: clock.System{},
		Log:   lambdalog.New(os.Stdout),
	}, nil
}

// Require reads a mandatory variable.
func Require(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// Port names an optional port a function uses (the table and the clock
// every function has).
type Port int

// Optional ports, each needing its environment variables.
const (
	Blobs     Port = iota // the documents bucket: SPORTELLO_BUCKET (riparto exports live under exports/ in it)
	Scheduler             // EventBridge Scheduler: group, role, windows function ARN
	Mailer                // composes e-mails into the outbox: SPORTELLO_OFFICES (optional)
	PII                   // the data key sealing children's codes: SPORTELLO_PII_KMS_KEY (shared/piikey)
)

// App builds the application (shared/app) on the cloud's ports: those
// named, plus the table, the registries over it and the system clock.
func (e *Env) App(ports ...Port) (*app.App, error) {
	p := app.Ports{Store: e.Store, Registries: e.Registries(), Clock: e.Clock, Log: e.Log}
	for _, port := range ports {
		switch port {
		case Blobs:
			bucket, err := Require(EnvBucket)
			if err != nil {
				return nil, err
			}
			b := &s3blobs.Blobs{Client: s3.NewFromConfig(e.AWS), Bucket: bucket}
			p.Blobs, p.Exports = b, b
		case Scheduler:
			var names [3]string
			for i, k := range []string{EnvSchedulerGroup, EnvSchedulerRole, EnvWindowsARN} {
				v, err := Require(k)
				if err != nil {
					return nil, err
				}
				names[i] = v
			}
			p.Scheduler = &scheduler.EventBridge{Client: awsscheduler.NewFromConfig(e.AWS), Group: names[0], RoleARN: names[1], TargetARN: names[2]}
		case Mailer:
			// E-mails are composed into the outbox, in the transaction of
			// the change; the relay function sends them (Relay).
			p.Mailer = notify.Mailer{Offices: notify.ParseOffices(os.Getenv(EnvOffices))}
		case PII:
			keyID, err := Require(EnvPIIKey)
			if err != nil {
				return nil, err
			}
			key, err := piikey.Load(context.Background(), kms.NewFromConfig(e.AWS), keyID, e.Store)
			if err != nil {
				return nil, err
			}
			if p.PII, err = pii.NewBox(key); err != nil {
				return nil, err
			}
		}
	}
	return app.New(p), nil
}

// Registries is the registry source over the table, with the ISTAT list
// embedded in the binary.
func (e *Env) Registries() *dynamo.RegistrySource {
	return &dynamo.RegistrySource{Store: e.Store, Comuni: samples.Comuni, TTL: time.Minute}
}

// Must stops a function that cannot start.
func Must[T any](v T, err error) T {
	if err != nil {
		slog.Error("startup failed", "error", err.Error())
		os.Exit(1)
	}
	return v
}

// Relay is the outbox relay of the relay function: e-mails through SES
// from SPORTELLO_SENDER, events on the bus SPORTELLO_EVENT_BUS. It is the
// only code that sends.
func (e *Env) Relay() (*outbox.Relay, error) {
	sender, err := Require(EnvSender)
	if err != nil {
		return nil, err
	}
	bus, err := Require(EnvEventBus)
	if err != nil {
		return nil, err
	}
	return &outbox.Relay{Store: e.Store, Mail: notify.Courier{Sender: notify.SES{Client: sesv2.NewFromConfig(e.AWS), From: sender}},
		Events: eventbus.Bus{Client: eventbridge.NewFromConfig(e.AWS), Name: bus},
		Clock:  e.Clock, Log: e.Log, MaxAttempts: RelayAttempts}, nil
}

// RelayAttempts is how many times the relay tries a message before it is
// dead-lettered in the table: as many as the stream's event source mapping
// makes (1 + its retries, infra/stack), so the attempt that gives up is
// also the one whose batch goes to the relay's SQS dead-letter queue.
const RelayAttempts = 1 + RelayStreamRetries

// RelayStreamRetries are the retries of a failed stream record (the event
// source mapping's MaximumRetryAttempts).
const RelayStreamRetries = 5
