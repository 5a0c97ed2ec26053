package storetest

import "testing"

// TestContract runs the store's contract on each backend: both emulator
// modes always, a real DynamoDB when SPORTELLO_DYNAMODB_ENDPOINT is set
// (skipped otherwise, saying so).
func TestContract(t *testing.T) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { Run(t, b) })
	}
}
