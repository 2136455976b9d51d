package wechat

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// errMalformed marks a callback body that is not a message we can read.
var errMalformed = errors.New("malformed message")

// Message is a callback pushed by the platform: a user's message or an
// event, as documented in "接收普通消息" and "接收事件推送".
type Message struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        string `xml:"MsgId"`
	PicURL       string `xml:"PicUrl"`
	MediaID      string `xml:"MediaId"`
	Format       string `xml:"Format"`
	Recognition  string `xml:"Recognition"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
	Ticket       string `xml:"Ticket"`
	// Encrypt is set in compatible and safe mode; it is read by the
	// envelope step, not here.
	Encrypt string `xml:"Encrypt"`
}

// Message types and events the adapter handles.
const (
	TypeText  = "text"
	TypeImage = "image"
	TypeVoice = "voice"
	TypeEvent = "event"

	EventSubscribe   = "subscribe"
	EventUnsubscribe = "unsubscribe"
	EventScan        = "SCAN"
	EventClick       = "CLICK"
	EventView        = "VIEW"
)

// Field limits: far above what the platform sends, low enough that a
// forged message cannot smuggle megabytes into the engine or the store.
const (
	maxIDLen      = 128
	maxContent    = 16 << 10
	maxFieldBytes = 2048
)

// ParseMessage reads a plaintext callback body. It refuses bodies that are
// not XML, lack a sender, type or time, or carry oversized fields.
func ParseMessage(body []byte) (Message, error) {
	var m Message
	if err := xml.Unmarshal(body, &m); err != nil {
		return Message{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	m.FromUserName = strings.TrimSpace(m.FromUserName)
	m.MsgType = strings.TrimSpace(m.MsgType)
	m.Event = strings.TrimSpace(m.Event)
	m.MsgID = strings.TrimSpace(m.MsgID)
	switch {
	case m.FromUserName == "" || len(m.FromUserName) > maxIDLen:
		return Message{}, fmt.Errorf("%w: FromUserName missing or too long", errMalformed)
	case m.MsgType == "" || len(m.MsgType) > 32:
		return Message{}, fmt.Errorf("%w: MsgType missing or too long", errMalformed)
	case m.CreateTime <= 0:
		return Message{}, fmt.Errorf("%w: CreateTime missing", errMalformed)
	case len(m.Content) > maxContent:
		return Message{}, fmt.Errorf("%w: Content of %d bytes", errMalformed, len(m.Content))
	case len(m.MsgID) > maxIDLen || len(m.Event) > 64:
		return Message{}, fmt.Errorf("%w: MsgId or Event too long", errMalformed)
	case len(m.Recognition) > maxContent || len(m.EventKey) > maxFieldBytes || len(m.PicURL) > maxFieldBytes ||
		len(m.MediaID) > maxFieldBytes || len(m.Ticket) > maxFieldBytes || len(m.ToUserName) > maxIDLen:
		return Message{}, fmt.Errorf("%w: a field is too long", errMalformed)
	case !utf8.ValidString(m.Content) || !utf8.ValidString(m.Recognition):
		return Message{}, fmt.Errorf("%w: text is not UTF-8", errMalformed)
	}
	if m.MsgType != TypeEvent && m.MsgID != "" {
		if _, err := strconv.ParseUint(m.MsgID, 10, 64); err != nil {
			return Message{}, fmt.Errorf("%w: MsgId %q is not a number", errMalformed, m.MsgID)
		}
	}
	return m, nil
}

// DedupeKey names the message for deduplication across the platform's
// retries: MsgId for messages, FromUserName and CreateTime (and the event)
// for events, which carry no MsgId.
func (m Message) DedupeKey() string {
	if m.MsgID != "" {
		return "m" + m.MsgID
	}
	return "e" + m.FromUserName + "-" + strconv.FormatInt(m.CreateTime, 10) + "-" + m.Event
}

// At is the message's CreateTime.
func (m Message) At() time.Time { return time.Unix(m.CreateTime, 0) }

// Text is what the engine receives for a message, or "" for messages that
// carry nothing the engine can read. Voice uses the platform's speech
// recognition when the account has it on; media without text becomes a
// short bracketed note, so the conversation shows that something was sent.
func (m Message) Text() string {
	switch m.MsgType {
	case TypeText:
		return strings.TrimSpace(m.Content)
	case TypeVoice:
		if r := strings.TrimSpace(m.Recognition); r != "" {
			return r
		}
		return "[语音 voice]"
	case TypeImage:
		return "[图片 image]"
	case "video", "shortvideo":
		return "[视频 video]"
	case "location":
		return "[位置 location]"
	case "link":
		return "[链接 link]"
	}
	return ""
}

// passive is a passive text reply ("被动回复用户消息").
type passive struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

// passiveReply is the XML of a text reply to m.
func passiveReply(m Message, text string, now time.Time) []byte {
	b, _ := xml.Marshal(passive{
		ToUserName:   cdata{m.FromUserName},
		FromUserName: cdata{m.ToUserName},
		CreateTime:   now.Unix(),
		MsgType:      cdata{"text"},
		Content:      cdata{text},
	})
	return b
}
