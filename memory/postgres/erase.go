package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
)

// eraseSQL erases a customer (the survivor of $1) in one statement: it
// locks the survivor (a concurrent merge or write waits, or makes this
// find nothing), deletes its data table by table, the ids merged into it
// and their merge records, and adds the counts to erasure_totals. Foreign
// keys would cascade too; the explicit deletes are what count. The copies
// of record events (event_records) go with the events and are not counted
// again; their trigger deletes the customer's conversation_rollups.
const eraseSQL = `WITH c AS (SELECT id FROM customers WHERE merged_into IS NULL AND id = (` + resolveSQL + `$1) FOR UPDATE),
	conv AS (SELECT id FROM conversations WHERE customer_id IN (SELECT id FROM c)),
	dm AS (DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conv) RETURNING 1),
	dc AS (DELETE FROM conversations WHERE id IN (SELECT id FROM conv) RETURNING 1),
	di AS (DELETE FROM identities WHERE customer_id IN (SELECT id FROM c) RETURNING 1),
	de AS (DELETE FROM events WHERE customer_id IN (SELECT id FROM c) RETURNING 1),
	der AS (DELETE FROM event_records WHERE customer_id IN (SELECT id FROM c)),
	dmem AS (DELETE FROM memories WHERE customer_id IN (SELECT id FROM c) RETURNING 1),
	dp AS (DELETE FROM profiles WHERE customer_id IN (SELECT id FROM c)),
	dmg AS (DELETE FROM merges WHERE into_id IN (SELECT id FROM c)),
	dcus AS (DELETE FROM customers WHERE id IN (SELECT id FROM c) OR merged_into IN (SELECT id FROM c) RETURNING 1),
	n AS (SELECT (SELECT count(*) FROM dcus) AS customers, (SELECT count(*) FROM di) AS identities,
		(SELECT count(*) FROM dc) AS conversations, (SELECT count(*) FROM dm) AS messages,
		(SELECT count(*) FROM de) AS events, (SELECT count(*) FROM dmem) AS memories),
	t AS (UPDATE erasure_totals SET customers = erasure_totals.customers + n.customers,
		identities = erasure_totals.identities + n.identities, conversations = erasure_totals.conversations + n.conversations,
		messages = erasure_totals.messages + n.messages, events = erasure_totals.events + n.events,
		memories = erasure_totals.memories + n.memories FROM n WHERE n.customers > 0)
	SELECT customers, identities, conversations, messages, events, memories, (SELECT id FROM c) FROM n`

// DeleteCustomer erases a customer in one statement.
func (s *Store) DeleteCustomer(ctx context.Context, id string) (memory.Erasure, error) {
	var e memory.Erasure
	var survivor *string
	err := s.pool.QueryRow(ctx, eraseSQL, id).Scan(&e.Customers, &e.Identities, &e.Conversations, &e.Messages, &e.Events, &e.Memories, &survivor)
	if err != nil {
		return memory.Erasure{}, wrap("delete customer", err)
	}
	s.profiles.drop(id) // the erased profile leaves this process's memory too
	if survivor != nil {
		s.profiles.drop(*survivor)
	}
	if e.Customers == 0 {
		return memory.Erasure{}, fmt.Errorf("postgres: delete customer %q: %w", id, memory.ErrNotFound)
	}
	return e, nil
}

// ErasureTotals returns the sum of every erasure so far.
func (s *Store) ErasureTotals(ctx context.Context) (memory.Erasure, error) {
	var e memory.Erasure
	err := s.pool.QueryRow(ctx, "SELECT customers, identities, conversations, messages, events, memories FROM erasure_totals").
		Scan(&e.Customers, &e.Identities, &e.Conversations, &e.Messages, &e.Events, &e.Memories)
	if errors.Is(err, pgx.ErrNoRows) {
		return memory.Erasure{}, nil
	}
	return e, wrap("erasure totals", err)
}
