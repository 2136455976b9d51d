package prompts

// The data each template is rendered with. Overrides see the same fields, so
// these types are part of the prompt contract: add fields, never rename.

// SystemData is given to "system", the language model's standing orders.
type SystemData struct {
	Lang     string    // reply language: "zh" or "en"
	Passages []Passage // knowledge passages, best first
	// Memories are what we remember about the customer, shown inside a
	// <customer_memory> data block; their text has its delimiter tags
	// removed already.
	Memories []MemoryLine
	// Profile lines ("tier: gold", "orders: 5") shown inside a
	// <customer_profile> data block.
	Profile []string
}

// MemoryLine is one recalled memory as the system prompt shows it.
type MemoryLine struct {
	Kind string // fact, preference, commitment, episode
	Text string
	Ago  string // when it was said, in the reply language ("3周前")
}

// ExtractData is given to "extract", the instructions for extracting
// long-term memories with a tool call.
type ExtractData struct {
	Lang string // the conversation's language
	// Known are the customer's current memories, one sentence each, so the
	// model does not propose them again.
	Known []string
}

// Passage is one knowledge passage as the system prompt shows it.
type Passage struct {
	N        int // 1-based number the model may cite
	Title    string
	Heading  string
	Text     string
	Relevant bool
}

// AnswerData is given to "answer", which frames the customer's message as
// data for the language model.
type AnswerData struct {
	Lang     string
	Question string // the customer's words, delimiter tags already removed
	Intent   string
	Mood     string
}

// ReplyData is given to the offline reply templates: "offline_answer",
// "no_answer", "greeting", "thanks" and "human_request".
type ReplyData struct {
	Lang    string
	Apology bool // the customer sounds upset: open with an apology
	// Need is the customer's hidden need (bot/insight), for templates that
	// adapt to it (intervene).
	Need string
	// Action is the next best action to offer (offer): coupon, tutorial,
	// replenishment_reminder, instalment_plan, exchange_offer, human_agent.
	Action  string
	Title   string // offline_answer: the source document's title
	Heading string // offline_answer: section path or FAQ question
	Text    string // offline_answer: the passage excerpt to give
	// Memory is a remembered fact said to the customer with when they told
	// us (memory_answer): "您的宝宝8个月大（3周前告诉我们的）".
	Memory string
	// LastTopics are what the customer asked about last time
	// (greeting_back), and LastAgo when that was.
	LastTopics string
	LastAgo    string
}
