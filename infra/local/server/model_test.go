package server

import (
	"os"
	"testing"
)

// TestMain runs the end-to-end suite on the embedded DynamoDB's default
// model, the AWS-faithful one (item locks, conflicts, throttling, limits,
// request tokens and the index's lag of a few hundred milliseconds): what
// the product must read current it reads current, and a test reading an
// eventually consistent listing asks again (env.eventually) as a client
// would. Then it stops the shared browser of the web tests.
func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}
