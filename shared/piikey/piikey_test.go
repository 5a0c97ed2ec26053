package piikey

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"maps"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"sportello/shared/dynamo/dynamotest"
)

// fakeKMS encrypts by prefixing the key id: as strict as KMS where it
// matters here — the key id and the encryption context must match.
type fakeKMS struct {
	mu        sync.Mutex
	generated int
}

func (f *fakeKMS) GenerateDataKey(_ context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	f.mu.Lock()
	f.generated++
	f.mu.Unlock()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	blob := append([]byte(aws.ToString(in.KeyId)+"|"+in.EncryptionContext["purpose"]+"|"), k...)
	return &kms.GenerateDataKeyOutput{Plaintext: k, CiphertextBlob: blob}, nil
}

func (f *fakeKMS) Decrypt(_ context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	prefix := []byte(aws.ToString(in.KeyId) + "|" + in.EncryptionContext["purpose"] + "|")
	if !bytes.HasPrefix(in.CiphertextBlob, prefix) || !maps.Equal(in.EncryptionContext, encryptionContext) {
		return nil, errors.New("InvalidCiphertextException")
	}
	return &kms.DecryptOutput{Plaintext: in.CiphertextBlob[len(prefix):]}, nil
}

func TestOneKeyForEveryColdStart(t *testing.T) {
	store, _ := dynamotest.New(t)
	k := &fakeKMS{}
	const arn = "arn:aws:kms:eu-south-1:111122223333:key/test"
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			key, err := Load(context.Background(), k, arn, store)
			if err != nil {
				t.Error(err)
			}
			keys[i] = key
		})
	}
	wg.Wait()
	for i := range keys {
		if len(keys[i]) != 32 || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("cold start %d got another key", i)
		}
	}
	again, err := Load(context.Background(), k, arn, store)
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatalf("a later cold start got another key: %v", err)
	}
	if _, err := Load(context.Background(), k, "arn:aws:kms:eu-south-1:111122223333:key/other", store); err == nil {
		t.Fatal("the stored key decrypted under another KMS key")
	}
}
