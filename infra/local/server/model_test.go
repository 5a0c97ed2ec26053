package server

import (
	"os"
	"testing"

	"sportello/infra/local/emulator"
)

// TestMain: with SPORTELLO_DYNAMODB_MODEL=aws the end-to-end tests run on
// the AWS-faithful DynamoDB (item locks, conflicts, throttling, limits,
// request tokens) but without the index lag unless
// SPORTELLO_DYNAMODB_GSI_LAG asks for it: these tests create, file, decide and allocate within
// milliseconds, faster than any office, and several of them list through
// the index what they wrote a moment before. What the product must read
// current is read current and tested on the lagging index by the store's
// contract (shared/dynamo/storetest) and the emulator's own tests;
// SPORTELLO_DYNAMODB_GSI_LAG=300ms runs this suite with the lag.
func TestMain(m *testing.M) {
	if os.Getenv(emulator.EnvGSILag) == "" {
		os.Setenv(emulator.EnvGSILag, "0s")
	}
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}
