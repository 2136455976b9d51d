package douyin

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// Documented sample shapes (ids shortened): the verification challenge,
// im_receive_msg with content as an object, im_enter_direct_msg with
// content as a JSON string, an im_send_msg echo, and im_recall_msg.
var seeds = []string{
	`{"event":"verify_webhook","client_key":"","content":{"challenge":12345}}`,
	`{"event":"im_receive_msg","client_key":"asdfavetgbvasf","from_user_id":"ac6479a5-d7a6-4018-84be-c29bfc00000","to_user_id":"aaa-7ae0-4399-914a-5eb1df5861ba","log_id":"2023429834752345783","content":{"conversation_short_id":"@c29bfc000+MNggFhRkw==","server_message_id":"@c29bfc000+MNggFhRkwGuX1n==","conversation_type":1,"message_type":"text","text":"你好","source":"","create_time":1682735823000,"user_infos":[{"open_id":"ac6479a5","nick_name":"用户","avatar":"https://example.invalid/a.png"}]}}`,
	`{"event":"im_enter_direct_msg","client_key":"aaaoqobz68a71u1","from_user_id":"aaa-8a0b","to_user_id":"aaa-81ec","content":"{\"conversation_short_id\":\"@9Vxc1/yDU8sqaS+gN4koEc7912foPPyA==\",\"server_message_id\":\"@9Vxc1==\",\"conversation_type\":1,\"objectId\":\"7100\",\"scene_type\":1,\"create_time\":1682735823000}"}`,
	`{"event":"im_send_msg","client_key":"awtest","from_user_id":"biz","to_user_id":"user","content":{"conversation_short_id":"@c==","server_message_id":"@s==","message_type":"text","text":"echo","source":"awtest"}}`,
	`{"event":"im_recall_msg","client_key":"tt5daf","from_user_id":"236ed9d9","to_user_id":"971d8bed","content":"{\"server_message_id\":\"@9VwNxuKKBZ03MXG7M8ooWM791mzu\"}","log_id":"0217","msg_id":"3292f6"}`,
	`{"event":"im_receive_msg","content":{"message_type":"text","text":{"text":"nested"}}}`,
	`{"event":"im_receive_msg","content":""}`,
	`{"event":"x","content":null}`,
}

func TestDecodeContent(t *testing.T) {
	tests := []struct {
		name, body, text, smid string
		wantErr                bool
	}{
		{"object", seeds[1], "你好", "@c29bfc000+MNggFhRkwGuX1n==", false},
		{"string", seeds[2], "", "@9Vxc1==", false},
		{"nested text", seeds[5], "nested", "", false},
		{"empty string", seeds[6], "", "", false},
		{"array", `{"event":"im_receive_msg","content":[1]}`, "", "", true},
		{"string holding an array", `{"event":"im_receive_msg","content":"[1]"}`, "", "", true},
		{"huge id", `{"event":"im_receive_msg","content":{"server_message_id":"` + strings.Repeat("a", 600) + `"}}`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := ParseEnvelope([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			c, err := env.DecodeContent()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (c.Text != tt.text || c.ServerMessageID != tt.smid) {
				t.Fatalf("content %+v", c)
			}
		})
	}
}

func TestChallengeReply(t *testing.T) {
	for body, want := range map[string]string{
		seeds[0]: `{"challenge":12345}`,
		`{"event":"verify_webhook","content":"{\"challenge\":9007199254740993}"}`: `{"challenge":9007199254740993}`,
		`{"event":"verify_webhook","content":{"challenge":"abc"}}`:                `{"challenge":"abc"}`,
	} {
		env, err := ParseEnvelope([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		c, err := env.DecodeContent()
		if err != nil {
			t.Fatal(err)
		}
		got, err := challengeReply(c)
		if err != nil || string(got) != want {
			t.Errorf("challengeReply(%s) = %s, %v; want %s", body, got, err, want)
		}
	}
	for _, body := range []string{
		`{"event":"verify_webhook","content":{"challenge":1.5e3}}`,
		`{"event":"verify_webhook","content":{"challenge":{"a":1}}}`,
		`{"event":"verify_webhook","content":{}}`,
	} {
		env, _ := ParseEnvelope([]byte(body))
		c, _ := env.DecodeContent()
		if _, err := challengeReply(c); err == nil {
			t.Errorf("challengeReply(%s) accepted", body)
		}
	}
}

func TestSign(t *testing.T) {
	// The documented example signs the raw verification body with the
	// client secret prepended.
	body := []byte(`{"event":"verify_webhook","client_key":"abc","content":{"challenge":12345}}`)
	s := Sign("secret", body)
	if len(s) != 40 || !validSignature("secret", body, s) || !validSignature("secret", body, strings.ToUpper(s)) {
		t.Fatalf("sign/verify round trip failed: %s", s)
	}
	if validSignature("secret", append(body, ' '), s) || validSignature("Secret", body, s) || validSignature("secret", body, "") {
		t.Fatal("signature accepted for other input")
	}
}

// FuzzWebhook feeds arbitrary bodies through everything the handler does
// with an (authenticated) body before it reaches the engine: it must never
// panic, and what it accepts must be bounded and valid JSON on the way out.
func FuzzWebhook(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"event":"im_receive_msg","content":"\"nested string\""}`))
	f.Add([]byte(`{"event":"verify_webhook","content":{"challenge":-1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := ParseEnvelope(body)
		if err != nil {
			return
		}
		if env.Event == "" || len(env.FromUserID) > maxIDLen {
			t.Fatalf("accepted envelope %+v", env)
		}
		c, err := env.DecodeContent()
		if err != nil {
			return
		}
		for _, id := range []string{c.ConversationShortID, c.ServerMessageID, c.Source} {
			if len(id) > maxIDLen {
				t.Fatalf("accepted id of %d bytes", len(id))
			}
		}
		if reply, err := challengeReply(c); err == nil && !json.Valid(reply) {
			t.Fatalf("challenge reply %q is not JSON", reply)
		}
		if c.MessageType == TypeText && !utf8.ValidString(c.Text) && bytes.Equal(body, bytes.ToValidUTF8(body, nil)) {
			t.Fatalf("valid UTF-8 body produced invalid text %q", c.Text)
		}
		_ = placeholder(c.MessageType)
	})
}
