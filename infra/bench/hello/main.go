// Command hello is the smallest aws-lambda-go function: the baseline the
// cold-start benchmark divides every sportello function by.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, in json.RawMessage) (string, error) { return "hello", nil })
}
