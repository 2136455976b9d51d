package storetest

// The vocabulary the generated corpus is written from. Sentences are the
// kind a help centre holds; questions are phrased the way customers ask,
// in words the passages do not always use.

type topic struct {
	headEN, headZH []string
	en, zh         []string // passage sentences
	askEN, askZH   []string // customer questions
}

type product struct{ en, zh string }

var products = []product{
	{"AquaPure X3 purifier", "AquaPure X3净水器"}, {"AquaPure X5 purifier", "AquaPure X5净水器"},
	{"AquaPure mini kettle", "AquaPure迷你烧水壶"}, {"Nimbus S1 earbuds", "Nimbus S1蓝牙耳机"},
	{"Nimbus Pro headphones", "Nimbus Pro头戴耳机"}, {"Nimbus charging case", "Nimbus充电仓"},
	{"StarRiver stage 1 formula", "星河1段奶粉"}, {"StarRiver stage 2 formula", "星河2段奶粉"},
	{"StarRiver stage 3 formula", "星河3段奶粉"}, {"StarRiver rice cereal", "星河米粉"},
	{"CloudStep running shoes", "云步跑鞋"}, {"CloudStep hiking boots", "云步登山靴"},
	{"CloudStep kids sneakers", "云步童鞋"}, {"Breeze T20 fan", "Breeze T20风扇"},
	{"Breeze H8 heater", "Breeze H8取暖器"}, {"Breeze air purifier A6", "Breeze A6空气净化器"},
	{"Lumi desk lamp", "Lumi台灯"}, {"Lumi smart bulb", "Lumi智能灯泡"},
	{"Orchard green tea gift box", "果园绿茶礼盒"}, {"Orchard oolong tea", "果园乌龙茶"},
	{"Panda wool sweater", "熊猫羊毛衫"}, {"Panda down jacket", "熊猫羽绒服"},
	{"Panda silk scarf", "熊猫真丝围巾"}, {"Kite robot vacuum V7", "Kite V7扫地机器人"},
	{"Kite cordless vacuum", "Kite无线吸尘器"}, {"Kite mop pads", "Kite拖布"},
	{"Harbor rice cooker", "Harbor电饭煲"}, {"Harbor air fryer", "Harbor空气炸锅"},
	{"Harbor blender", "Harbor破壁机"}, {"Jade face serum", "玉颜精华液"},
	{"Jade sunscreen SPF50", "玉颜防晒霜SPF50"}, {"Jade cleansing foam", "玉颜洗面奶"},
	{"Summit backpack 30L", "Summit 30升背包"}, {"Summit tent 2P", "Summit双人帐篷"},
	{"Pixel tablet 11", "Pixel 11寸平板"}, {"Pixel stylus", "Pixel手写笔"},
	{"Pixel keyboard cover", "Pixel键盘保护套"}, {"Maple baby stroller", "Maple婴儿推车"},
	{"Maple car seat", "Maple安全座椅"}, {"Maple crib", "Maple婴儿床"},
}

var cities = [][2]string{
	{"Shanghai", "上海"}, {"Beijing", "北京"}, {"Guangzhou", "广州"}, {"Shenzhen", "深圳"}, {"Chengdu", "成都"},
	{"Hangzhou", "杭州"}, {"Wuhan", "武汉"}, {"Xi'an", "西安"}, {"Urumqi", "乌鲁木齐"}, {"Lhasa", "拉萨"},
	{"Hong Kong", "香港"}, {"Taipei", "台北"},
}

var closingEN = []string{
	"Contact customer service if you have any other questions.",
	"Our agents are online from 9:00 to 21:00 every day.",
	"Terms may change during promotions; the order page shows the final terms.",
}

var closingZH = []string{
	"如有其他问题请联系在线客服。",
	"人工客服每天9:00至21:00在线。",
	"活动期间规则可能调整，以订单页面显示为准。",
}

var topics = []topic{
	{ // shipping
		headEN: []string{"Shipping > Dispatch time", "Shipping > Delivery areas", "Shipping > Couriers"},
		headZH: []string{"配送 > 发货时间", "配送 > 配送范围", "配送 > 快递公司"},
		en: []string{
			"Orders of the {p} ship within {n} business days from our {c} warehouse.",
			"Delivery to {c} usually takes {n} to {d} days after dispatch.",
			"We ship the {p} with SF Express or ZTO and send the tracking number by SMS.",
			"Remote areas such as Xinjiang and Tibet may take up to {d} days.",
			"Shipping is free for orders over {m} yuan; below that the postage is {n} yuan.",
			"Orders placed after 16:00 are dispatched the next working day.",
		},
		zh: []string{
			"{p}订单在{n}个工作日内从{c}仓库发货。",
			"发货后配送到{c}一般需要{n}到{d}天。",
			"{p}使用顺丰或中通快递发出，快递单号会短信通知。",
			"新疆、西藏等偏远地区最长可能需要{d}天送达。",
			"订单满{m}元包邮，不满则收取{n}元运费。",
			"16点以后下单的订单次日发货。",
		},
		askEN: []string{"How long does the {p} take to arrive in {c}?", "When will my {p} ship?", "Which courier delivers the {p} and is shipping free?"},
		askZH: []string{"{p}发到{c}要几天？", "我买的{p}什么时候发货？", "{p}用什么快递，包邮吗？"},
	},
	{ // returns
		headEN: []string{"Returns > Return window", "Returns > How to return", "Returns > Conditions"},
		headZH: []string{"退货 > 退货期限", "退货 > 退货流程", "退货 > 退货条件"},
		en: []string{
			"You can return the {p} within {d} days of delivery without giving a reason.",
			"The {p} must be unused and in its original packaging to be returned.",
			"Start a return from the order page, then send the parcel to our {c} returns centre.",
			"Return postage is paid by us when the {p} is faulty or damaged.",
			"Opened food and personal care products cannot be returned for hygiene reasons.",
			"Print the return label and drop the parcel at any courier point within {n} days.",
		},
		zh: []string{
			"{p}签收后{d}天内支持无理由退货。",
			"退货的{p}须未使用且保留原包装。",
			"在订单页面申请退货，然后把包裹寄回{c}退货中心。",
			"{p}有质量问题或破损时，退货运费由我们承担。",
			"已拆封的食品和个人护理用品因卫生原因不支持退货。",
			"申请通过后请在{n}天内寄出退货包裹。",
		},
		askEN: []string{"Can I send back the {p} if I don't like it?", "How do I return my {p}?", "Who pays postage when I return a broken {p}?"},
		askZH: []string{"{p}不喜欢可以退吗？", "{p}怎么退货？", "{p}坏了退回来运费谁出？"},
	},
	{ // refunds
		headEN: []string{"Refunds > Timing", "Refunds > Methods"},
		headZH: []string{"退款 > 到账时间", "退款 > 退款方式"},
		en: []string{
			"Refunds for the {p} are issued within {n} working days after we receive the return.",
			"The money goes back to the original payment method; bank cards may take up to {d} days.",
			"Coupons used on the order are returned to your account with the refund.",
			"Partial refunds of {m} yuan are possible when only part of the order is returned.",
		},
		zh: []string{
			"收到退货后{n}个工作日内为{p}办理退款。",
			"退款原路返回，银行卡最长可能需要{d}天到账。",
			"订单使用的优惠券会随退款退回账户。",
			"只退部分商品时可以部分退款{m}元。",
		},
		askEN: []string{"When will I get my money back for the {p}?", "Where does the refund for my {p} go?"},
		askZH: []string{"{p}退款多久到账？", "{p}的退款退到哪里？"},
	},
	{ // invoices
		headEN: []string{"Invoices > Fapiao", "Invoices > Company invoice"},
		headZH: []string{"发票 > 电子发票", "发票 > 公司发票"},
		en: []string{
			"An electronic fapiao for the {p} is emailed within {n} days of delivery.",
			"For a company invoice, enter the tax number when you place the order.",
			"Invoices can be reissued within {d} days if the title is wrong.",
			"The invoice amount is the amount paid, {m} yuan or more after discounts.",
		},
		zh: []string{
			"{p}的电子发票在签收后{n}天内发送到邮箱。",
			"需要公司发票请在下单时填写税号。",
			"发票抬头有误可在{d}天内申请重开。",
			"发票金额为优惠后的实付金额。",
		},
		askEN: []string{"How do I get a fapiao for the {p}?", "Can I change the invoice title for my {p} order?"},
		askZH: []string{"{p}怎么开发票？", "{p}的发票抬头写错了能改吗？"},
	},
	{ // warranty
		headEN: []string{"Warranty > Coverage", "Warranty > Repairs"},
		headZH: []string{"保修 > 保修范围", "保修 > 维修服务"},
		en: []string{
			"The {p} is covered by a {n}-year warranty against manufacturing defects.",
			"Repairs under warranty are free; outside warranty a check costs {m} yuan.",
			"Send the {p} to the {c} service centre with the order number for repair.",
			"Damage from drops or water is not covered by the warranty.",
			"Repaired items are shipped back within {d} days.",
		},
		zh: []string{
			"{p}享受{n}年保修，覆盖生产质量问题。",
			"保修期内免费维修，过保检测费{m}元。",
			"请将{p}连同订单号寄到{c}售后服务中心维修。",
			"摔坏或进水造成的损坏不在保修范围内。",
			"维修完成后{d}天内寄回。",
		},
		askEN: []string{"My {p} stopped working, is it under warranty?", "How long is the warranty on the {p}?"},
		askZH: []string{"{p}坏了保修吗？", "{p}保修多久？"},
	},
	{ // maintenance and use
		headEN: []string{"Care > Replacement parts", "Care > Cleaning", "Use > Getting started"},
		headZH: []string{"保养 > 配件更换", "保养 > 清洁方法", "使用 > 入门指南"},
		en: []string{
			"Replace the filter cartridge of the {p} every {n} months, or sooner with hard water.",
			"Clean the {p} with a soft damp cloth; do not use alcohol.",
			"Charge the {p} fully before first use; a full charge takes about {n} hours.",
			"Replacement parts for the {p} cost from {m} yuan in our official store.",
			"Reset the {p} by holding the power button for {n} seconds.",
			"Stage 1 formula suits babies from 0 to 6 months, stage 2 from 6 to 12 months.",
		},
		zh: []string{
			"{p}的滤芯建议每{n}个月更换一次，水质硬时应提前更换。",
			"请用柔软的湿布清洁{p}，不要使用酒精。",
			"首次使用前请将{p}充满电，充满约需{n}小时。",
			"{p}的配件在官方旗舰店{m}元起。",
			"长按电源键{n}秒可以重置{p}。",
			"1段奶粉适合0到6个月宝宝，2段适合6到12个月。",
		},
		askEN: []string{"How often should I change the cartridge in my {p}?", "How do I clean the {p}?", "My {p} will not turn on, how do I reset it?"},
		askZH: []string{"{p}滤芯多久换一次？", "{p}怎么清洗？", "{p}开不了机怎么重置？"},
	},
	{ // membership
		headEN: []string{"Membership > Tiers", "Membership > Points"},
		headZH: []string{"会员 > 会员等级", "会员 > 积分规则"},
		en: []string{
			"Gold members get free shipping and a {n}% discount on every order.",
			"You earn one point for every yuan spent, including on the {p}.",
			"Points expire after {d} days and can pay for up to {n}% of an order.",
			"Platinum members have a dedicated agent and early access to new products.",
		},
		zh: []string{
			"金卡会员全场包邮并享受{n}折优惠。",
			"每消费1元积1分，购买{p}也可积分。",
			"积分有效期{d}天，最多可抵扣订单的{n}%。",
			"白金会员享有专属客服和新品优先购。",
		},
		askEN: []string{"What are the benefits of gold membership?", "Do I earn points when I buy the {p}?"},
		askZH: []string{"金卡会员有什么权益？", "买{p}有积分吗？"},
	},
	{ // coupons and promotions
		headEN: []string{"Promotions > Coupons", "Promotions > Price protection"},
		headZH: []string{"优惠 > 优惠券", "优惠 > 价格保护"},
		en: []string{
			"A {m} yuan coupon can be used on the {p} when the order is over {m} yuan.",
			"Only one coupon applies per order, and coupons cannot be exchanged for cash.",
			"If the price of the {p} drops within {d} days, we refund the difference.",
			"Flash sale items are excluded from price protection.",
		},
		zh: []string{
			"满{m}元可使用{m}元优惠券购买{p}。",
			"每个订单限用一张优惠券，优惠券不能兑换现金。",
			"{p}在{d}天内降价，我们退还差价。",
			"秒杀商品不参加价格保护。",
		},
		askEN: []string{"Can I use two coupons on the {p}?", "The {p} got cheaper after I bought it, can I get the difference?"},
		askZH: []string{"买{p}能用两张优惠券吗？", "{p}刚买就降价了能退差价吗？"},
	},
	{ // orders
		headEN: []string{"Orders > Change or cancel", "Orders > Address"},
		headZH: []string{"订单 > 修改与取消", "订单 > 收货地址"},
		en: []string{
			"You can cancel an order of the {p} free of charge before it ships.",
			"To change the delivery address, contact an agent within {n} hours of ordering.",
			"Once shipped, the address can only be changed with the courier.",
			"Cancelled orders are refunded in full within {n} working days.",
		},
		zh: []string{
			"{p}订单发货前可以免费取消。",
			"修改收货地址请在下单后{n}小时内联系客服。",
			"订单发出后只能联系快递修改地址。",
			"取消的订单在{n}个工作日内全额退款。",
		},
		askEN: []string{"I entered the wrong address for my {p}, what can I do?", "How do I cancel my {p} order?"},
		askZH: []string{"{p}地址填错了怎么办？", "{p}的订单怎么取消？"},
	},
	{ // payment
		headEN: []string{"Payment > Methods", "Payment > Instalments"},
		headZH: []string{"支付 > 支付方式", "支付 > 分期付款"},
		en: []string{
			"We accept Alipay, WeChat Pay, UnionPay and Visa for the {p}.",
			"Orders over {m} yuan can be paid in {n} interest-free instalments.",
			"Unpaid orders are cancelled automatically after {n} minutes.",
			"Payments from overseas cards may need verification by your bank.",
		},
		zh: []string{
			"购买{p}支持支付宝、微信支付、银联和Visa。",
			"满{m}元可享{n}期免息分期。",
			"未支付的订单{n}分钟后自动取消。",
			"境外银行卡支付可能需要银行验证。",
		},
		askEN: []string{"Can I pay for the {p} with WeChat?", "Is there an instalment plan for the {p}?"},
		askZH: []string{"{p}可以用微信付款吗？", "{p}能分期吗？"},
	},
	{ // sizes and fit
		headEN: []string{"Sizing > Size guide", "Sizing > Exchanges"},
		headZH: []string{"尺码 > 尺码指南", "尺码 > 换码"},
		en: []string{
			"The {p} runs true to size; if you are between sizes, pick the larger one.",
			"Measure your foot length and compare it with the size chart on the product page.",
			"Exchanging the {p} for another size is free within {d} days.",
			"Kids sizes are listed by age, from {n} to 12 years.",
		},
		zh: []string{
			"{p}尺码标准，介于两个尺码之间建议选大一码。",
			"请测量脚长并对照商品页面的尺码表。",
			"{p}在{d}天内可以免费换码。",
			"童装尺码按年龄标注，{n}岁到12岁。",
		},
		askEN: []string{"What size of the {p} should I order?", "Can I exchange the {p} for a bigger size?"},
		askZH: []string{"{p}选多大码？", "{p}小了能换大一码吗？"},
	},
	{ // account
		headEN: []string{"Account > Login", "Account > Privacy"},
		headZH: []string{"账户 > 登录", "账户 > 隐私"},
		en: []string{
			"Log in with your phone number and a verification code sent by SMS.",
			"If the code does not arrive within {n} minutes, request a new one.",
			"You can delete your account in settings; orders are kept for {d} days as the law requires.",
			"We never share your address with third parties except the courier.",
		},
		zh: []string{
			"使用手机号和短信验证码登录。",
			"验证码{n}分钟内未收到可以重新获取。",
			"可在设置中注销账户，订单记录依法保留{d}天。",
			"除快递公司外，我们不会向第三方提供您的地址。",
		},
		askEN: []string{"I am not getting the login code, what should I do?", "How do I delete my account?"},
		askZH: []string{"收不到验证码怎么办？", "怎么注销账号？"},
	},
}
