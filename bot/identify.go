package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// identityLinker is the part of the customer store Identify needs.
type identityLinker interface {
	Customer(ctx context.Context, id string) (memory.Customer, error)
	Identities(ctx context.Context, customerID string) ([]memory.Identity, error)
	LinkIdentity(ctx context.Context, customerID string, id memory.Identity, survivor string, reason string) (memory.Customer, error)
}

// errNoLinking is returned when the store cannot link identities.
var errNoLinking = errors.New("bot: identify: the store does not support linking identities")

// Identify links id (an identity a channel has verified, such as the host
// site's user behind a signed identify frame) to the customer of
// conversationID.
//
// When another customer already has id, the conversation's customer is
// merged into that one: the known user survives and the visitor's history,
// memories and profile follow, so a business system's customer id stays
// stable. Otherwise id becomes one more identity of the conversation's
// customer. The session returned names the surviving customer and the same
// conversation. Linking an identity the customer already has writes nothing.
func (e *Engine) Identify(ctx context.Context, conversationID string, id channels.Identity) (channels.Session, error) {
	if conversationID == "" || id.Kind == "" || id.Value == "" {
		return channels.Session{}, fmt.Errorf("bot: identify: conversation id, identity kind and value are required: %w", errInvalid)
	}
	store, ok := e.cfg.Store.(identityLinker)
	if !ok {
		return channels.Session{}, errNoLinking
	}
	conv, err := e.cfg.Store.Conversation(ctx, conversationID)
	if err != nil {
		return channels.Session{}, fmt.Errorf("bot: identify: conversation %s: %w", conversationID, err)
	}
	// The conversation may name a customer merged away meanwhile; it
	// resolves to the survivor.
	cust, err := store.Customer(ctx, conv.CustomerID)
	if err != nil {
		return channels.Session{}, fmt.Errorf("bot: identify: customer of %s: %w", conversationID, err)
	}
	mid := memory.Identity{Kind: id.Kind, Value: id.Value}
	linked, err := hasIdentity(ctx, store, cust.ID, mid)
	if err != nil {
		return channels.Session{}, err
	}
	if !linked {
		if cust, err = e.link(ctx, store, cust.ID, mid); err != nil {
			return channels.Session{}, err
		}
		e.log.Info("identity linked", "conversation", conversationID, "customer", cust.ID, "kind", id.Kind)
	}
	return e.sessionOf(ctx, cust.ID, conversationID)
}

// link attaches id to customerID, merging customerID into the identity's
// owner when it has one.
func (e *Engine) link(ctx context.Context, store identityLinker, customerID string, id memory.Identity) (memory.Customer, error) {
	// The store contract has no lookup that does not create, so an
	// identity nobody had is created with a customer of its own, which
	// then merges into the visitor's: that customer is empty, and the
	// merge record says when the identity was linked.
	owner, created, err := e.cfg.Store.CustomerByIdentity(ctx, id)
	if err != nil {
		return memory.Customer{}, fmt.Errorf("bot: identify: owner of %s: %w", id.Kind, err)
	}
	survivor := owner.ID
	if created {
		survivor = customerID
	}
	reason := "identify " + id.Kind + " " + id.Value
	c, err := store.LinkIdentity(ctx, customerID, id, survivor, reason)
	if err != nil {
		return memory.Customer{}, fmt.Errorf("bot: identify: link %s to %s: %w", id.Kind, customerID, err)
	}
	return c, nil
}

func hasIdentity(ctx context.Context, store identityLinker, customerID string, id memory.Identity) (bool, error) {
	ids, err := store.Identities(ctx, customerID)
	if err != nil {
		return false, fmt.Errorf("bot: identify: identities of %s: %w", customerID, err)
	}
	for _, have := range ids {
		if have == id {
			return true, nil
		}
	}
	return false, nil
}

// sessionOf reports the conversation as the channel now sees it.
func (e *Engine) sessionOf(ctx context.Context, customerID, conversationID string) (channels.Session, error) {
	conv, err := e.cfg.Store.Conversation(ctx, conversationID)
	if err != nil {
		return channels.Session{}, fmt.Errorf("bot: identify: conversation %s: %w", conversationID, err)
	}
	acked := max(conv.AckedSeq, e.acks.acked(conv.ID))
	return channels.Session{CustomerID: customerID, ConversationID: conv.ID, LastSeq: conv.LastSeq, AckedSeq: acked}, nil
}
