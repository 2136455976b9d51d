package prompts

// The data of the templates the language-model parts of bot/llm use beyond
// "system" and "answer": the insight analyzer, the tools addendum, slow
// thinking's review and revision, and the output guard's safe reply (which
// takes ReplyData). Like data.go, these are part of the prompt contract.

// InsightData is given to "insight", the instructions for reading a
// customer turn through the report_insight function.
type InsightData struct {
	Lang    string   // the conversation's language: need_reason is written in it
	Intents []string // the intent taxonomy, in report order
	Needs   []string // the hidden-need set
	Moods   []string // the mood labels
}

// ToolsData is given to "tools", appended to the system prompt when the
// model may call functions. Each flag says a function is offered.
type ToolsData struct {
	Lang    string
	Search  bool // search_knowledge
	Recall  bool // recall_memory
	Orders  bool // lookup_order
	Handoff bool // handoff
}

// ReviewData is given to "review" (the self-check of a draft reply, through
// the review_reply function) and "revise" (rewriting a draft from the
// review's issues).
type ReviewData struct {
	Lang string
	// Proactive is true when the draft is a message we send first, not a
	// reply to a question.
	Proactive bool
	// Intervene is true when the customer is close to escalating: the
	// reply must acknowledge, apologise and offer a human.
	Intervene bool
}
