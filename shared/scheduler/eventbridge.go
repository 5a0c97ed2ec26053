// Package scheduler implements windows.Scheduler twice: with EventBridge
// Scheduler one-time schedules in the cloud, and in process for the local
// runtime. Both fire at the same instants.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"sportello/shared/clock"
)

// EventBridge puts one-time schedules "at(YYYY-MM-DDThh:mm:ss)" written in
// Europe/Rome wall-clock time with ScheduleExpressionTimezone Europe/Rome,
// so the expression an operator reads in the console is the deadline of
// the call ("12:00"), and EventBridge applies summer/winter time.
type EventBridge struct {
	Client    *scheduler.Client
	Group     string // schedule group
	TargetARN string // the windows function
	RoleARN   string // execution role allowed to invoke only that function
}

// Expression renders the at() expression of an instant in Rome time.
func Expression(at time.Time) string {
	return "at(" + at.In(clock.Rome).Format("2006-01-02T15:04:05") + ")"
}

// CheckName refuses a name EventBridge Scheduler would refuse (1 to 64
// characters of 0-9 A-Z a-z - _ .): both implementations check it, so the
// local runtime fails where AWS would.
func CheckName(name string) error {
	if len(name) == 0 || len(name) > 64 {
		return fmt.Errorf("schedule name %q has %d characters: EventBridge Scheduler accepts 1 to 64", name, len(name))
	}
	for _, c := range name {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("schedule name %q: EventBridge Scheduler refuses %q", name, c)
		}
	}
	return nil
}

// Put creates the schedule, or updates it if it exists (a proroga). A
// one-time schedule deletes itself once it has fired (ActionAfterCompletion
// DELETE), so the group never fills with spent schedules; a proroga after
// that simply creates it again.
func (e *EventBridge) Put(ctx context.Context, name string, at time.Time, payload []byte) error {
	if err := CheckName(name); err != nil {
		return err
	}
	// Second precision: the windows function checks the instant itself and
	// at() has no sub-second part; round up so it never fires early.
	at = at.Truncate(time.Second).Add(time.Duration(boolInt(at.Nanosecond() != 0)) * time.Second)
	target := &types.Target{Arn: &e.TargetARN, RoleArn: &e.RoleARN, Input: aws.String(string(payload)),
		RetryPolicy: &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(3600), MaximumRetryAttempts: aws.Int32(10)}}
	flex := &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}
	_, err := e.Client.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: &name, GroupName: &e.Group, ScheduleExpression: aws.String(Expression(at)),
		ScheduleExpressionTimezone: aws.String("Europe/Rome"), FlexibleTimeWindow: flex, Target: target,
		ActionAfterCompletion: types.ActionAfterCompletionDelete,
		Description:           aws.String("sportello window instant " + at.UTC().Format(time.RFC3339)),
	})
	var conflict *types.ConflictException
	if errors.As(err, &conflict) {
		_, err = e.Client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
			Name: &name, GroupName: &e.Group, ScheduleExpression: aws.String(Expression(at)),
			ScheduleExpressionTimezone: aws.String("Europe/Rome"), FlexibleTimeWindow: flex, Target: target,
			ActionAfterCompletion: types.ActionAfterCompletionDelete,
		})
	}
	if err != nil {
		return fmt.Errorf("put schedule %s: %w", name, err)
	}
	return nil
}

// Delete removes a schedule; a missing one is fine.
func (e *EventBridge) Delete(ctx context.Context, name string) error {
	_, err := e.Client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: &name, GroupName: &e.Group})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete schedule %s: %w", name, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
