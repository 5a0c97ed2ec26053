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
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	samples "sportello/events"
	"sportello/shared/allocation"
	"sportello/shared/catalog"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/eventbus"
	"sportello/shared/handlers"
	"sportello/shared/notify"
	"sportello/shared/s3blobs"
	"sportello/shared/scheduler"
	"sportello/shared/submission"
	"sportello/shared/windows"
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
	return &Env{
		AWS:   cfg,
		Store: dynamo.New(dynamodb.NewFromConfig(cfg), table),
		Clock: clock.System{},
		Log:   slog.New(slog.NewJSONHandler(os.Stdout, nil)),
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

// Windows builds the window service with EventBridge Scheduler.
func (e *Env) Windows() (*windows.Service, error) {
	var names [3]string
	for i, k := range []string{EnvSchedulerGroup, EnvSchedulerRole, EnvWindowsARN} {
		v, err := Require(k)
		if err != nil {
			return nil, err
		}
		names[i] = v
	}
	sched := &scheduler.EventBridge{Client: awsscheduler.NewFromConfig(e.AWS), Group: names[0], RoleARN: names[1], TargetARN: names[2]}
	return &windows.Service{Store: e.Store, Clock: e.Clock, Scheduler: sched, Log: e.Log}, nil
}

// Registries is the registry source over the table, with the ISTAT list
// embedded in the binary.
func (e *Env) Registries() *dynamo.RegistrySource {
	return &dynamo.RegistrySource{Store: e.Store, Comuni: samples.Comuni, TTL: time.Minute}
}

// Blobs is the documents bucket (exports live under exports/ in it).
func (e *Env) Blobs() (*s3blobs.Blobs, error) {
	bucket, err := Require(EnvBucket)
	if err != nil {
		return nil, err
	}
	return &s3blobs.Blobs{Client: s3.NewFromConfig(e.AWS), Bucket: bucket}, nil
}

// Submissions builds the lifecycle with SES receipts.
func (e *Env) Submissions() (*submission.Service, error) {
	sender, err := Require(EnvSender)
	if err != nil {
		return nil, err
	}
	return &submission.Service{Store: e.Store, Programs: catalog.All(), Registries: e.Registries(), Clock: e.Clock, Log: e.Log,
		Public:   dynamo.Public,
		Notifier: notify.Mailer{Sender: notify.SES{Client: sesv2.NewFromConfig(e.AWS), From: sender}, Offices: notify.ParseOffices(os.Getenv(EnvOffices))}}, nil
}

// Allocation builds the riparto service announcing on EventBridge.
func (e *Env) Allocation() (*allocation.Service, error) {
	bus, err := Require(EnvEventBus)
	if err != nil {
		return nil, err
	}
	blobs, err := e.Blobs()
	if err != nil {
		return nil, err
	}
	return &allocation.Service{Store: e.Store, Blobs: blobs, Programs: catalog.All(), Clock: e.Clock, Log: e.Log,
		Names: handlers.OrgNames(e.Registries()), Announcer: eventbus.Bus{Client: eventbridge.NewFromConfig(e.AWS), Name: bus}}, nil
}

// Deps are the HTTP handlers' dependencies.
func (e *Env) Deps(windows *windows.Service) *handlers.Deps {
	return &handlers.Deps{Store: e.Store, Clock: e.Clock, Programs: catalog.All(), Windows: windows, Log: e.Log, Registries: e.Registries()}
}

// Must stops a function that cannot start.
func Must[T any](v T, err error) T {
	if err != nil {
		slog.Error("startup failed", "error", err.Error())
		os.Exit(1)
	}
	return v
}
