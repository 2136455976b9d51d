package seed

// product is an item of the demo shop's catalogue (channels/web's /demo/
// pages; keep SKUs, names and prices in step with them).
type product struct {
	SKU   string
	Name  string
	Price float64
	URL   string // path under the demo shop
	Stock int    // 0: out of stock
	// ConsumptionDays is how long one unit lasts (0: not a consumable).
	ConsumptionDays int
}

var (
	purifier = product{SKU: "WP-100", Name: "家用净水器 Home Water Purifier", Price: 1299,
		URL: "/demo/product-water-purifier.html", Stock: 35}
	filter = product{SKU: "FLT-90", Name: "净水器替换滤芯 Replacement Filter", Price: 199,
		URL: "/demo/product-water-filter.html", Stock: 420, ConsumptionDays: 90}
	formula = product{SKU: "BF-800", Name: "婴儿配方奶粉 800g Baby Formula 800g", Price: 268,
		URL: "/demo/product-baby-formula.html", Stock: 800, ConsumptionDays: 29}
	jacket = product{SKU: "JK-22", Name: "防风夹克 Windbreaker Jacket", Price: 459,
		URL: "/demo/product-jacket.html", Stock: 60}
	sneaker = product{SKU: "SN-LTD", Name: "限量版运动鞋 Limited Sneaker", Price: 1599,
		URL: "/demo/product-sneaker-limited.html", Stock: 0}
	catalogue = []product{purifier, filter, formula, jacket, sneaker}
)

// Pages other than products.
const (
	pageHome       = "/demo/"
	pageCart       = "/demo/cart.html"
	pageRefund     = "/demo/refund-policy.html"
	pageMembership = "/demo/membership.html"
	siteOrigin     = "https://shop.example.com"
)

// Membership tiers by lifetime spend (the membership page).
const (
	silverSpend = 1000
	goldSpend   = 5000
)

var jacketSizes = []string{"S", "M", "L", "XL"}

// Searches by segment and language.
var searches = map[string]map[string][]string{
	SegmentWater:   {"zh": {"滤芯", "净水器 滤芯 更换", "净水器"}, "en": {"filter", "water purifier filter", "purifier"}},
	SegmentBaby:    {"zh": {"奶粉", "奶粉 2段", "婴儿奶粉 3段"}, "en": {"baby formula", "formula stage 2", "formula stage 3"}},
	SegmentFashion: {"zh": {"夹克", "限量 运动鞋", "运动鞋 到货"}, "en": {"jacket", "limited sneaker", "sneaker restock"}},
	SegmentBrowser: {"zh": {"优惠", "会员", "退货"}, "en": {"discount", "membership", "returns"}},
}
