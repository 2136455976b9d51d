package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kairoscx/kairos/channels"
)

// identitySiteUser is the identity kind an identify frame links: the host
// site's own user id.
const identitySiteUser = "site_user"

// Identify limits.
const (
	// identifySkew is how far an identify frame's ts may be from the
	// server's clock, either way. It bounds how long a leaked signature can
	// be replayed, and tolerates the host site's clock being off.
	identifySkew = 10 * time.Minute
	// maxUserIDRunes bounds the host site's user id.
	maxUserIDRunes = 128
	// identifyTimeout bounds linking the identity in the engine.
	identifyTimeout = 30 * time.Second
)

// siteKey checks the host site's identify signatures:
// hex(HMAC-SHA256(site secret, user_id + "." + ts)).
type siteKey struct {
	secret []byte
}

func (k siteKey) enabled() bool { return len(k.secret) > 0 }

// valid reports whether sig is the signature of userID at ts, comparing in
// constant time.
func (k siteKey) valid(userID string, ts int64, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(userID))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	return hmac.Equal(got, m.Sum(nil))
}

// onIdentify links the host site's user to this visitor when the frame is
// signed with the site secret and fresh.
func (c *conn) onIdentify(ctx context.Context, f clientFrame) {
	now := c.h.now()
	if !c.identifyLimit.allow(now, identifyRate, identifyBurst) {
		c.sendError(codeRateLimited, "too many identify frames; please slow down")
		return
	}
	if !c.h.site.enabled() {
		c.sendError(codeIdentifyOff, "identify is not enabled on this server")
		return
	}
	if !validUserID(f.UserID) {
		c.sendError(codeIdentifyBad, fmt.Sprintf("user_id must be 1 to %d printable characters", maxUserIDRunes))
		return
	}
	// The signature is checked before the time, so every forged frame is
	// logged, whatever ts it carries.
	if !c.h.site.valid(f.UserID, f.TS, f.Sig) {
		c.h.logger.Warn("identify refused: bad signature", "visitor", c.visitor, "user_id", f.UserID)
		c.sendError(codeIdentifyBad, "the identify signature does not match")
		return
	}
	at := time.Unix(f.TS, 0)
	if at.Before(now.Add(-identifySkew)) || at.After(now.Add(identifySkew)) {
		c.sendError(codeIdentifyStale, "ts is more than 10 minutes from the server's time; sign a fresh one")
		return
	}
	if f.UserID == c.identified {
		// A repeat on this connection (the widget resends after a
		// reconnect, or the page called identify twice): already linked.
		c.sendIdentified()
		return
	}
	ictx, cancel := context.WithTimeout(ctx, identifyTimeout)
	defer cancel()
	sess, err := c.h.engine.Identify(ictx, c.session.ConversationID,
		channels.Identity{Kind: identitySiteUser, Value: f.UserID})
	if err != nil {
		if errInvalidInput(err) {
			c.sendError(codeIdentifyBad, "the identity was refused")
			return
		}
		c.h.logger.Error("identify", "visitor", c.visitor, "conversation", c.session.ConversationID, "err", err)
		c.sendError(codeInternal, "could not link the identity; try again later")
		return
	}
	// Only the reader goroutine (this one) reads CustomerID; the writer
	// reads ConversationID, which stays.
	if sess.CustomerID != "" {
		c.session.CustomerID = sess.CustomerID
	}
	c.identified = f.UserID
	c.h.logger.Info("identified", "visitor", c.visitor, "customer", c.session.CustomerID)
	c.sendIdentified()
}

func (c *conn) sendIdentified() {
	c.enqueue(encode(identifiedFrame{Type: "identified", CustomerID: c.session.CustomerID}), "identified")
}

// validUserID accepts 1–128 printable characters of valid UTF-8 (so
// e-mail addresses and non-Latin ids work), but no control characters.
func validUserID(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxUserIDRunes {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
