package wxcrypt

import (
	"errors"
	"testing"
)

// FuzzDecrypt feeds arbitrary ciphertexts to the decrypter: it must never
// panic and every refusal must be one of the package's error kinds.
func FuzzDecrypt(f *testing.F) {
	f.Add(weComURLEchostr)
	f.Add(oaEncOut)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==")
	c := mustNew(f, weComToken, weComKey, weComCorpID)
	f.Fuzz(func(t *testing.T, ct string) {
		msg, err := c.Decrypt(ct)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrReceiveID) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		// Whatever decrypts must encrypt back to something that decrypts
		// to the same message.
		again, err := c.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Decrypt(again)
		if err != nil || string(back) != string(msg) {
			t.Fatalf("round trip: %q, %v", back, err)
		}
	})
}

// FuzzParseEnvelope feeds arbitrary callback bodies through Open.
func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(weComPostBody))
	f.Add([]byte(oaBody))
	f.Add([]byte("<xml><Encrypt>AAAA</Encrypt></xml>"))
	f.Add([]byte("<xml>"))
	c := mustNew(f, weComToken, weComKey, weComCorpID)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := c.Open(weComPostSig, weComPostTS, weComPostNonce, body)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrReceiveID) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
