package douyin

import (
	"bytes"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook events this channel handles.
const (
	EventVerify       = "verify_webhook"      // URL verification challenge
	EventReceiveMsg   = "im_receive_msg"      // the business account received a private message
	EventSendMsg      = "im_send_msg"         // the business account sent one (our own sends echo here)
	EventEnterDirect  = "im_enter_direct_msg" // a user opened the private-message page
	SignatureHeader   = "X-Douyin-Signature"
	MsgIDHeader       = "Msg-Id"
	maxIDLen          = 512 // platform ids are ~100 bytes; anything far longer is junk
	maxChallengeBytes = 64
)

// Message types of im_receive_msg content.
const (
	TypeText           = "text"
	TypeImage          = "image"
	TypeEmoji          = "emoji"
	TypeVideo          = "video"
	TypeUserLocalImage = "user_local_image"
	TypeUserLocalVideo = "user_local_video"
	TypeConsultCard    = "retain_consult_card"
	TypeOther          = "other"
)

// ErrMalformed wraps every reason a webhook body is refused as malformed.
var ErrMalformed = errors.New("douyin: malformed webhook")

// Sign is the platform's webhook signature of body: the lowercase hex SHA-1
// of the client secret followed by the raw body.
func Sign(clientSecret string, body []byte) string {
	h := sha1.New()
	h.Write([]byte(clientSecret))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// validSignature compares in constant time; the header's case is ignored.
func validSignature(clientSecret string, body []byte, header string) bool {
	want := Sign(clientSecret, body)
	got := strings.ToLower(strings.TrimSpace(header))
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Envelope is the body of every webhook.
type Envelope struct {
	Event      string `json:"event"`
	ClientKey  string `json:"client_key"`
	FromUserID string `json:"from_user_id"`
	ToUserID   string `json:"to_user_id"`
	LogID      string `json:"log_id"`
	// Content is the event's payload: documented as an object for some
	// events and a JSON-encoded string for others, and seen both ways for
	// the same event; DecodeContent handles both.
	Content json.RawMessage `json:"content"`
}

// Content is the payload of the IM events.
type Content struct {
	ConversationShortID string `json:"conversation_short_id"`
	ServerMessageID     string `json:"server_message_id"`
	ConversationType    int    `json:"conversation_type"`
	MessageType         string `json:"message_type"`
	Text                string `json:"text"`
	// Source is the client key of the app that sent the message through
	// the API, empty when it was typed in the Douyin app.
	Source string `json:"source"`
	// CreateTime is in milliseconds.
	CreateTime int64      `json:"create_time"`
	UserInfos  []UserInfo `json:"user_infos"`
	// im_enter_direct_msg
	ObjectID  string `json:"objectId"`
	SceneType int    `json:"scene_type"`
	// verify_webhook
	Challenge json.RawMessage `json:"challenge"`
}

// UserInfo is a participant's public profile.
type UserInfo struct {
	OpenID   string `json:"open_id"`
	NickName string `json:"nick_name"`
	Avatar   string `json:"avatar"`
}

// At is the message's creation time, or zero.
func (c Content) At() time.Time {
	if c.CreateTime <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(c.CreateTime)
}

// ParseEnvelope decodes a webhook body. Everything it returns has been
// checked for shape; an error wraps ErrMalformed.
func ParseEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&env); err != nil {
		return Envelope{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if d.More() {
		return Envelope{}, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if env.Event == "" || len(env.Event) > 64 {
		return Envelope{}, fmt.Errorf("%w: missing event", ErrMalformed)
	}
	for _, id := range []string{env.ClientKey, env.FromUserID, env.ToUserID, env.LogID} {
		if len(id) > maxIDLen {
			return Envelope{}, fmt.Errorf("%w: id longer than %d bytes", ErrMalformed, maxIDLen)
		}
	}
	return env, nil
}

// DecodeContent decodes the envelope's content, whether it came as an
// object or as a string holding one. Absent content decodes as zero.
func (e Envelope) DecodeContent() (Content, error) {
	raw := bytes.TrimSpace(e.Content)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return Content{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Content{}, fmt.Errorf("%w: content string: %w", ErrMalformed, err)
		}
		raw = bytes.TrimSpace([]byte(s))
		if len(raw) == 0 {
			return Content{}, nil
		}
	}
	if raw[0] != '{' {
		return Content{}, fmt.Errorf("%w: content is neither an object nor a string holding one", ErrMalformed)
	}
	// text comes as a string, or as {"text": "..."} in some deliveries;
	// the outer Text field shadows Content.Text while decoding.
	var wire struct {
		Content
		Text json.RawMessage `json:"text"`
	}
	if err := json.Unmarshal(raw, &wire); err != nil {
		return Content{}, fmt.Errorf("%w: content: %w", ErrMalformed, err)
	}
	c := wire.Content
	c.Text = textOf(wire.Text)
	for _, id := range []string{c.ConversationShortID, c.ServerMessageID, c.Source, c.ObjectID} {
		if len(id) > maxIDLen {
			return Content{}, fmt.Errorf("%w: content id longer than %d bytes", ErrMalformed, maxIDLen)
		}
	}
	return c, nil
}

// textOf reads a text given as a JSON string or as an object holding
// one under "text"; anything else is no text.
func textOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	var inner struct {
		Text string `json:"text"`
	}
	if raw[0] == '{' && json.Unmarshal(raw, &inner) == nil {
		return inner.Text
	}
	return ""
}

// challengeReply is the answer to verify_webhook: the challenge echoed as
// it came (the platform sends a number).
func challengeReply(c Content) ([]byte, error) {
	ch := bytes.TrimSpace(c.Challenge)
	if len(ch) == 0 || len(ch) > maxChallengeBytes {
		return nil, fmt.Errorf("%w: verify_webhook without a challenge", ErrMalformed)
	}
	if ch[0] == '"' {
		var s string
		if json.Unmarshal(ch, &s) != nil {
			return nil, fmt.Errorf("%w: bad challenge", ErrMalformed)
		}
		return json.Marshal(map[string]string{"challenge": s})
	}
	if _, err := strconv.ParseInt(string(ch), 10, 64); err != nil {
		return nil, fmt.Errorf("%w: challenge is not a number", ErrMalformed)
	}
	return []byte(`{"challenge":` + string(ch) + `}`), nil
}

// placeholder is what a non-text message is recorded as in the
// conversation, so the transcript shows it and the engine can answer
// ("images can't be viewed here, please describe..."). The platform does
// not pass image or video URLs in the webhook.
func placeholder(messageType string) string {
	switch messageType {
	case TypeImage, TypeUserLocalImage:
		return "[图片 image]"
	case TypeVideo, TypeUserLocalVideo:
		return "[视频 video]"
	case TypeConsultCard:
		return "[卡片 card]"
	}
	return "[消息 message]"
}
