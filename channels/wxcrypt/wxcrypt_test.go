package wxcrypt

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// Published vectors. They are Tencent's own samples, reproduced by the
// official SDK samples in every language:
//
//   - weComPost and weComURL: the WeCom callback documentation
//     ("加解密方案说明", developer.work.weixin.qq.com/document/path/90968) and
//     the official C#/PHP/Python samples (token QDG6eK, corp id
//     wx5823bf96d3bd56c7).
//   - oaPost: the Official Account message-encryption sample
//     (mp.weixin.qq.com wiki "消息加解密说明", the Python/Node sample with
//     token spamtest and appid wx2c2769f8efd9abc2).
//   - oaEncrypt: the Official Account Java sample's WXBizMsgCryptTest
//     (appid wxb11529c136998cb6, random "aaaabbbbccccdddd"): a
//     deterministic encryption.
const (
	weComToken  = "QDG6eK"
	weComKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	weComCorpID = "wx5823bf96d3bd56c7"

	weComURLSig     = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	weComURLTS      = "1409659589"
	weComURLNonce   = "263014780"
	weComURLEchostr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	weComURLPlain   = "1616140317555161061"

	weComPostSig   = "477715d11cdb4164915debcba66cb864d751f3e6"
	weComPostTS    = "1409659813"
	weComPostNonce = "1372623149"
	weComPostBody  = `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`

	oaToken = "spamtest"
	oaKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	oaAppID = "wx2c2769f8efd9abc2"
	oaSig   = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
	oaTS    = "1409735669"
	oaNonce = "1320562132"
	oaBody  = `<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>`

	oaEncAppID  = "wxb11529c136998cb6"
	oaEncRandom = "aaaabbbbccccdddd"
	oaEncMsg    = "我是中文abcd123"
	oaEncOut    = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)

func mustNew(t testing.TB, token, key, id string) *Crypter {
	t.Helper()
	c, err := New(token, key, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPublishedVectors(t *testing.T) {
	t.Run("wecom url verification", func(t *testing.T) {
		c := mustNew(t, weComToken, weComKey, weComCorpID)
		got, err := c.VerifyURL(weComURLSig, weComURLTS, weComURLNonce, weComURLEchostr)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != weComURLPlain {
			t.Fatalf("echostr = %q, want %q", got, weComURLPlain)
		}
	})
	t.Run("wecom callback", func(t *testing.T) {
		c := mustNew(t, weComToken, weComKey, weComCorpID)
		got, err := c.Open(weComPostSig, weComPostTS, weComPostNonce, []byte(weComPostBody))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"<ToUserName><![CDATA[wx5823bf96d3bd56c7]]>", "<MsgType><![CDATA[text]]>", "<AgentID>"} {
			if !strings.Contains(string(got), want) {
				t.Errorf("plaintext lacks %s:\n%s", want, got)
			}
		}
	})
	t.Run("official account callback", func(t *testing.T) {
		c := mustNew(t, oaToken, oaKey, oaAppID)
		got, err := c.Open(oaSig, oaTS, oaNonce, []byte(oaBody))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), "<MsgType><![CDATA[text]]></MsgType>") || !strings.HasPrefix(string(got), "<xml>") {
			t.Errorf("unexpected plaintext:\n%s", got)
		}
	})
	t.Run("official account encryption", func(t *testing.T) {
		c := mustNew(t, "pamtest", oaKey, oaEncAppID)
		got, err := c.encrypt([]byte(oaEncRandom), []byte(oaEncMsg))
		if err != nil {
			t.Fatal(err)
		}
		if got != oaEncOut {
			t.Fatalf("ciphertext = %s\nwant %s", got, oaEncOut)
		}
		plain, err := c.Decrypt(got)
		if err != nil || string(plain) != oaEncMsg {
			t.Fatalf("round trip = %q, %v", plain, err)
		}
	})
}

func TestRefusals(t *testing.T) {
	wecom := mustNew(t, weComToken, weComKey, weComCorpID)
	otherCorp := mustNew(t, weComToken, weComKey, "ww-other-corp")
	otherToken := mustNew(t, "another", weComKey, weComCorpID)
	tests := []struct {
		name string
		c    *Crypter
		sig  string
		body string
		want error
	}{
		{"wrong signature", wecom, strings.Repeat("0", 40), weComPostBody, ErrSignature},
		{"wrong token", otherToken, weComPostSig, weComPostBody, ErrSignature},
		{"wrong receive id", otherCorp, weComPostSig, weComPostBody, ErrReceiveID},
		{"not xml", wecom, weComPostSig, "{not xml", ErrMalformed},
		{"no encrypt", wecom, weComPostSig, "<xml><ToUserName>x</ToUserName></xml>", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Open(tt.sig, weComPostTS, weComPostNonce, []byte(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("bad ciphertexts", func(t *testing.T) {
		for _, ct := range []string{"", "!!!", "AAAA", strings.Repeat("A", 24), strings.Repeat("A", MaxCiphertext+4)} {
			if _, err := wecom.Decrypt(ct); !errors.Is(err, ErrMalformed) {
				t.Errorf("Decrypt(%.20q) = %v, want ErrMalformed", ct, err)
			}
		}
	})
}

func TestSealRoundTrip(t *testing.T) {
	c := mustNew(t, "tok", oaKey, "wxappid")
	for _, msg := range []string{"", "a", strings.Repeat("中", 11), strings.Repeat("x", 31), strings.Repeat("y", 32), strings.Repeat("z", 5000)} {
		out, err := c.Seal([]byte(msg), 1700000000, "nonce1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.OpenSealed(out)
		if err != nil {
			t.Fatalf("OpenSealed(%d bytes): %v", len(msg), err)
		}
		if !bytes.Equal(got, []byte(msg)) {
			t.Fatalf("round trip of %d bytes gave %d bytes", len(msg), len(got))
		}
		s, _ := ParseSealed(out)
		if s.TimeStamp != "1700000000" || s.Nonce != "nonce1" {
			t.Fatalf("sealed envelope %+v", s)
		}
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		ts   string
		want error
	}{
		{"1700000000", nil},
		{"1699999800", nil},
		{"1699999000", ErrStale},
		{"1700001000", ErrStale},
		{"", ErrMalformed},
		{"abc", ErrMalformed},
		{"-5", ErrMalformed},
	}
	for _, tt := range tests {
		err := CheckTimestamp(tt.ts, now, 5*time.Minute)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("CheckTimestamp(%q) = %v, want %v", tt.ts, err, tt.want)
		}
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	for _, key := range []string{"short", strings.Repeat("!", 43), oaKey + "A"} {
		if _, err := New("t", key, "id"); err == nil {
			t.Errorf("New accepted key %q", key)
		}
	}
	if _, err := New("", oaKey, "id"); err == nil {
		t.Error("New accepted an empty token")
	}
	c, err := New("t", "", "")
	if err != nil || c.CanEncrypt() {
		t.Fatalf("plaintext-only crypter: %v, CanEncrypt %v", err, c.CanEncrypt())
	}
}

func TestPlainSignature(t *testing.T) {
	c := mustNew(t, "token", "", "")
	sig := Signature("token", "1409735669", "nonce")
	if err := c.Verify(sig, "1409735669", "nonce"); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(sig, "1409735670", "nonce"); !errors.Is(err, ErrSignature) {
		t.Fatalf("changed timestamp: %v", err)
	}
	// The order of the parts must not matter: they are sorted.
	if Signature("b", "a", "c") != Signature("c", "b", "a") {
		t.Fatal("signature depends on argument order")
	}
}
