// Package proactive is Kairos's trigger matrix: it watches customers'
// behaviour and business events, evaluates declarative triggers against
// each customer's recent events, profile and insight, and acts — opens a
// conversation, calls a business system's webhook, hands over to a human —
// within guardrails (caps, cooldowns, quiet hours, opt-out, consent,
// approval) and with a holdout group so that every trigger's uplift can be
// measured.
//
// The engine is transport-free: Engine.HandleEvent and Engine.HandleTimer
// take one event or one due timer of one customer. Package
// bot/proactive/stream feeds it from the JetStream event stream
// (partitioned by customer) and keeps its durable state in NATS; the
// backtest (Backtest) feeds it stored events with an in-memory state and a
// simulated clock. Trigger files are described in docs/triggers.md.
package proactive
