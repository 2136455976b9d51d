package wxcrypt

import (
	"encoding/xml"
	"fmt"
	"strconv"
)

// Envelope is the XML body of an encrypted callback: the ciphertext and,
// beside it, the account it is addressed to.
type Envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	Encrypt    string   `xml:"Encrypt"`
	AgentID    string   `xml:"AgentID"`
}

// ParseEnvelope reads the Encrypt element of a callback body. A body that
// is not XML or has no Encrypt element is ErrMalformed.
func ParseEnvelope(body []byte) (Envelope, error) {
	var e Envelope
	if err := xml.Unmarshal(body, &e); err != nil {
		return Envelope{}, fmt.Errorf("envelope: %w: %v", ErrMalformed, err)
	}
	if e.Encrypt == "" {
		return Envelope{}, fmt.Errorf("envelope has no Encrypt element: %w", ErrMalformed)
	}
	return e, nil
}

// Open checks an encrypted callback body against msg_signature, timestamp
// and nonce from its URL and returns the decrypted message. The signature
// is checked before any decryption.
func (c *Crypter) Open(msgSignature, timestamp, nonce string, body []byte) ([]byte, error) {
	e, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(msgSignature, timestamp, nonce, e.Encrypt); err != nil {
		return nil, err
	}
	return c.Decrypt(e.Encrypt)
}

// VerifyURL answers WeCom's callback URL check: echostr is a ciphertext
// signed with msg_signature, and the response body must be its plaintext.
func (c *Crypter) VerifyURL(msgSignature, timestamp, nonce, echostr string) ([]byte, error) {
	if err := c.Verify(msgSignature, timestamp, nonce, echostr); err != nil {
		return nil, err
	}
	return c.Decrypt(echostr)
}

// sealed is the XML of an encrypted reply.
type sealed struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

// Seal encrypts a reply message and wraps it, signed, in the XML envelope
// the platform expects as the response to an encrypted callback.
func (c *Crypter) Seal(msg []byte, timestamp int64, nonce string) ([]byte, error) {
	enc, err := c.Encrypt(msg)
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(timestamp, 10)
	out, err := xml.Marshal(sealed{
		Encrypt:      cdata{enc},
		MsgSignature: cdata{c.Sign(ts, nonce, enc)},
		TimeStamp:    ts,
		Nonce:        cdata{nonce},
	})
	if err != nil {
		return nil, fmt.Errorf("wxcrypt: seal: %w", err)
	}
	return out, nil
}

// SealedReply is a parsed encrypted reply, for tests and fakes that play
// the platform's side.
type SealedReply struct {
	Encrypt, MsgSignature, TimeStamp, Nonce string
}

// ParseSealed reads an encrypted reply produced by Seal (or the platform).
func ParseSealed(body []byte) (SealedReply, error) {
	var s sealed
	if err := xml.Unmarshal(body, &s); err != nil {
		return SealedReply{}, fmt.Errorf("sealed reply: %w: %v", ErrMalformed, err)
	}
	if s.Encrypt.Text == "" {
		return SealedReply{}, fmt.Errorf("sealed reply has no Encrypt element: %w", ErrMalformed)
	}
	return SealedReply{Encrypt: s.Encrypt.Text, MsgSignature: s.MsgSignature.Text, TimeStamp: s.TimeStamp, Nonce: s.Nonce.Text}, nil
}

// OpenSealed verifies and decrypts a reply produced by Seal.
func (c *Crypter) OpenSealed(body []byte) ([]byte, error) {
	s, err := ParseSealed(body)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(s.MsgSignature, s.TimeStamp, s.Nonce, s.Encrypt); err != nil {
		return nil, err
	}
	return c.Decrypt(s.Encrypt)
}
