// Package piikey provides, in the cloud, the key that seals personal data
// (shared/pii) by envelope encryption: a data key generated once by KMS,
// kept in the table only in its KMS-encrypted form, and decrypted by KMS at
// a function's cold start. Whoever reads the table or a backup without
// kms:Decrypt on the key sees neither the key nor the codes.
package piikey

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"sportello/shared/pii"
)

// Store keeps the encrypted data key.
type Store interface {
	PIIKey(ctx context.Context) (blob []byte, found bool, err error)
	// CreatePIIKey writes blob unless a key exists (exists reports it).
	CreatePIIKey(ctx context.Context, blob []byte) (exists bool, err error)
}

// KMS is the part of the KMS client used.
type KMS interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, opts ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// context binds the data key to its use: KMS refuses to decrypt it for
// anything else (and CloudTrail names the purpose).
var encryptionContext = map[string]string{"purpose": "sportello-pii"}

// Load returns the data key: decrypted from the stored blob, or generated
// and stored on first use (two cold starts racing store one key; the
// loser reads the winner's).
func Load(ctx context.Context, client KMS, keyID string, store Store) ([]byte, error) {
	blob, found, err := store.PIIKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("read pii key: %w", err)
	}
	if !found {
		out, err := client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(keyID), KeySpec: types.DataKeySpecAes256, EncryptionContext: encryptionContext})
		if err != nil {
			return nil, fmt.Errorf("generate pii key: %w", err)
		}
		exists, err := store.CreatePIIKey(ctx, out.CiphertextBlob)
		if err != nil {
			return nil, fmt.Errorf("store pii key: %w", err)
		}
		if !exists {
			return out.Plaintext, nil
		}
		if blob, _, err = store.PIIKey(ctx); err != nil {
			return nil, fmt.Errorf("read pii key: %w", err)
		}
	}
	out, err := client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(keyID), EncryptionContext: encryptionContext})
	if err != nil {
		return nil, fmt.Errorf("decrypt pii key: %w", err)
	}
	if len(out.Plaintext) != pii.KeySize {
		return nil, fmt.Errorf("pii key of %d bytes", len(out.Plaintext))
	}
	return out.Plaintext, nil
}
