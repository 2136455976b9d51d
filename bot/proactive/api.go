package proactive

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// OptOut records that a customer wants no proactive suggestions (true) or
// wants them again (false). Channels call it for "TD" / "退订" and the
// widget's "stop suggestions" control; it takes effect for the next firing
// on every node.
func (e *Engine) OptOut(ctx context.Context, customerID string, out bool) error {
	if customerID == "" {
		return fmt.Errorf("proactive: opt-out: customer id is required")
	}
	_, err := e.state.UpdateCustomer(ctx, customerID, func(c *CustomerState) error {
		c.OptOut = out
		c.OptOutAt = e.now().UTC()
		return nil
	})
	if err != nil {
		return fmt.Errorf("proactive: opt-out %s: %w", customerID, err)
	}
	return nil
}

// IsOptOutKeyword reports whether a customer's message is an opt-out
// keyword on messaging channels ("TD", "退订", "stop suggestions",
// "关闭推荐"), so a channel can call OptOut instead of answering it.
func IsOptOutKeyword(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	t = strings.Trim(t, " .!！。")
	switch t {
	case "td", "退订", "关闭推荐", "stop suggestions", "unsubscribe":
		return true
	}
	return false
}

// SetConsent records a consent flag ("marketing", ...) a trigger may
// require.
func (e *Engine) SetConsent(ctx context.Context, customerID, flag string, granted bool) error {
	if customerID == "" || !tagPattern.MatchString(flag) {
		return fmt.Errorf("proactive: consent: customer id and a flag like \"marketing\" are required")
	}
	_, err := e.state.UpdateCustomer(ctx, customerID, func(c *CustomerState) error {
		if c.Consent == nil {
			c.Consent = map[string]bool{}
		}
		c.Consent[flag] = granted
		return nil
	})
	return err
}

// SetPreferences records a customer's time zone (IANA name, for quiet
// hours) and language ("zh" or "en"); empty values are left unchanged.
func (e *Engine) SetPreferences(ctx context.Context, customerID, timeZone, lang string) error {
	if timeZone != "" {
		if _, err := time.LoadLocation(timeZone); err != nil {
			return fmt.Errorf("proactive: time zone %q: %w", timeZone, err)
		}
	}
	if lang != "" && lang != "zh" && lang != "en" {
		return fmt.Errorf("proactive: language %q: want zh or en", lang)
	}
	_, err := e.state.UpdateCustomer(ctx, customerID, func(c *CustomerState) error {
		if timeZone != "" {
			c.TimeZone = timeZone
		}
		if lang != "" {
			c.Lang = lang
		}
		return nil
	})
	return err
}

// CustomerState returns what the engine keeps about a customer.
func (e *Engine) CustomerState(ctx context.Context, customerID string) (CustomerState, error) {
	return e.state.Customer(ctx, customerID)
}

// Drafts lists drafts by status (DraftPending, ...; "" for all).
func (e *Engine) Drafts(ctx context.Context, status string) ([]Draft, error) {
	return e.state.Drafts(ctx, status)
}

// maxDraftText bounds an edited draft.
const maxDraftText = 2000

// EditDraft replaces a pending draft's text.
func (e *Engine) EditDraft(ctx context.Context, id, text, by string) (Draft, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > maxDraftText || !utf8.ValidString(text) {
		return Draft{}, fmt.Errorf("proactive: edit draft: text must be 1-%d characters", maxDraftText)
	}
	return e.state.UpdateDraft(ctx, id, func(d *Draft) error {
		if d.Status != DraftPending {
			return fmt.Errorf("draft %s is %s: %w", id, d.Status, ErrConflict)
		}
		d.Text, d.Edited, d.DecidedBy = text, true, by
		return nil
	})
}

// RejectDraft discards a pending draft.
func (e *Engine) RejectDraft(ctx context.Context, id, by, note string) (Draft, error) {
	return e.state.UpdateDraft(ctx, id, func(d *Draft) error {
		if d.Status != DraftPending {
			return fmt.Errorf("draft %s is %s: %w", id, d.Status, ErrConflict)
		}
		d.Status, d.DecidedAt, d.DecidedBy, d.Note = DraftRejected, e.now().UTC(), by, note
		return nil
	})
}

// ApproveDraft sends a pending draft. It is marked approved before it is
// delivered, so two approvers never send it twice; a failed delivery
// leaves it DraftFailed with the error in Note. An opt-out since the draft
// was written still stops it.
func (e *Engine) ApproveDraft(ctx context.Context, id, by string) (Draft, error) {
	d, err := e.state.UpdateDraft(ctx, id, func(d *Draft) error {
		if d.Status != DraftPending {
			return fmt.Errorf("draft %s is %s: %w", id, d.Status, ErrConflict)
		}
		d.Status, d.DecidedAt, d.DecidedBy = DraftApproved, e.now().UTC(), by
		return nil
	})
	if err != nil {
		return d, err
	}
	fail := func(msg string) (Draft, error) {
		out, uerr := e.state.UpdateDraft(ctx, id, func(d *Draft) error {
			d.Status, d.Note = DraftFailed, msg
			return nil
		})
		if uerr != nil {
			return d, uerr
		}
		return out, fmt.Errorf("proactive: approve draft %s: %s", id, msg)
	}
	cs, err := e.state.Customer(ctx, d.Customer)
	if err != nil {
		return fail(err.Error())
	}
	if cs.OptOut {
		return fail("the customer opted out")
	}
	if e.cfg.Deliverer == nil {
		return fail("no deliverer configured")
	}
	dl, err := e.cfg.Deliverer.Deliver(ctx, Message{Trigger: d.Trigger, Customer: d.Customer, Occurrence: d.Occurrence,
		Kind: d.Kind, Text: d.Text, Lang: d.Lang, HumanOption: d.Human, At: e.now()})
	if err != nil {
		return fail(err.Error())
	}
	e.record(ctx, Firing{ID: key(d.Trigger, d.Customer, d.Occurrence, "approved"), Trigger: d.Trigger, Customer: d.Customer,
		Occurrence: d.Occurrence, At: d.CreatedAt, Group: GroupTreatment, Outcome: OutcomeSent, Reason: "approved by " + by,
		Channel: dl.Channel, Stored: dl.Stored})
	return d, nil
}

// Tags returns a customer's tags set by tag actions, sorted.
func (e *Engine) Tags(ctx context.Context, customerID string) ([]string, error) {
	c, err := e.state.Customer(ctx, customerID)
	if err != nil {
		return nil, err
	}
	tags := slices.Clone(c.Tags)
	slices.Sort(tags)
	return tags, nil
}
