"""Words the sample city is made of: names, roads, trades, causes.

Plain lists; the generator draws from them with numpy indices, never row by row.
"""

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = list("伟强磊军洋勇杰涛明超斌鹏辉刚健波华峰龙平俊浩宇飞鑫林晨凯斌志海东亮彬")
GIVEN_FEMALE = list("芳娜敏静丽艳娟霞秀燕玲桂英丹萍红梅琳雪倩颖慧婷蓉琴兰洁莉欣瑶佳怡露")

# Trade-name syllables (字号) for shops and companies, and road names: generic ones. A city's
# data file (cities/<code>.yaml) may give its own (city_map.py).
SHOP_WORDS = list(
    [
        "福满",
        "好运",
        "老街",
        "百味",
        "金城",
        "家常",
        "鸿运",
        "聚香",
        "乡村",
        "一品",
        "海鲜",
        "江南",
        "北方",
        "南国",
        "阿婆",
        "老妈",
        "小李",
        "大碗",
        "百姓",
        "和顺",
        "春风",
        "兴旺",
        "丰收",
        "鲜味",
        "小馆",
        "红星",
        "东方",
        "阳光",
        "开心",
        "幸福",
        "老字号",
        "醉香",
        "香满楼",
        "合家",
        "四季",
        "味美",
        "知味",
        "同福",
        "悦来",
        "食为天",
    ]
)
CUISINES = [
    "火锅",
    "串串香",
    "冒菜",
    "面馆",
    "小吃",
    "中餐馆",
    "烧烤",
    "钵钵鸡",
    "川菜馆",
    "甜品店",
]
COMPANY_WORDS = list(
    [
        "华信",
        "宏远",
        "天源",
        "金鼎",
        "恒通",
        "瑞丰",
        "德昌",
        "泰和",
        "鑫海",
        "远大",
        "正邦",
        "汇丰",
        "隆盛",
        "长城",
        "银河",
        "东方",
        "宏达",
        "永盛",
        "嘉禾",
        "博瑞",
        "国栋",
        "明达",
        "华塑",
        "光明",
        "中联",
        "新兴",
        "鼎盛",
        "开元",
        "华宇",
        "振华",
        "海天",
        "金桥",
        "安泰",
        "宏图",
        "永安",
        "东升",
        "联合",
        "天成",
        "众诚",
        "盛世",
    ]
)
# Characters of company names (one is drawn per name).
NAME_CHARACTERS = "鑫达源盛丰华泰兴隆瑞金宏昌鼎晟安顺和利通新恒益嘉诚远广茂永聚福佳宇航振凯旭峰海辉"

# Enterprise trades: GB/T 4754 industry code, name word, kind.
INDUSTRIES = [
    ("C2614", "化工", "chemical"),
    ("C2661", "化学试剂", "chemical"),
    ("C2641", "涂料", "chemical"),
    ("G5942", "危化品仓储", "chemical"),
    ("C2631", "农药", "chemical"),
    ("C3311", "金属结构", "manufacturing"),
    ("C3670", "汽车配件", "manufacturing"),
    ("C2922", "塑料制品", "manufacturing"),
    ("C1391", "食品加工", "manufacturing"),
    ("C3130", "钢材加工", "manufacturing"),
    ("G5430", "物流", "logistics"),
    ("E4710", "建筑工程", "construction"),
]
RESTAURANT_INDUSTRY = "H6210"
PUBLIC_UNIT_KINDS = [
    ("school", "小学"),
    ("school", "中学"),
    ("mall", "购物中心"),
    ("hospital", "医院"),
]

ROAD_STEMS = list(
    [
        "人民",
        "建设",
        "解放",
        "东风",
        "中山",
        "胜利",
        "和平",
        "新华",
        "文化",
        "青年",
        "朝阳",
        "光明",
        "长江",
        "黄河",
        "迎宾",
        "滨江",
        "环城",
        "工业",
        "学府",
        "科技",
        "振兴",
        "幸福",
        "团结",
        "友谊",
        "红旗",
        "劳动",
        "兴业",
        "富民",
        "育才",
        "花园",
        "体育",
        "健康",
        "公园",
        "车站",
        "机场",
        "港口",
        "新村",
        "开发",
        "创业",
        "金桥",
        "银河",
        "星光",
        "阳光",
        "春风",
        "安康",
        "永安",
        "太平",
        "长安",
        "民主",
        "复兴",
    ]
)
ROAD_SUFFIXES = ["路", "大道", "街", "路东段", "路西段", "路北一段", "路南二段", "巷"]

FOOD_RESULTS = ["符合", "基本符合", "不符合"]
FOOD_RESULT_WEIGHTS = [0.72, 0.20, 0.08]
FOOD_CATEGORIES = [
    ("粮食加工品", "挂面"),
    ("肉制品", "腊肉"),
    ("调味品", "火锅底料"),
    ("饮料", "包装饮用水"),
    ("糕点", "月饼"),
    ("蔬菜制品", "泡菜"),
    ("食用油", "菜籽油"),
    ("餐饮食品", "凉拌菜"),
]
FOOD_FAILED_ITEMS = ["菌落总数", "大肠菌群", "铅(以Pb计)", "苯甲酸及其钠盐", "过氧化值", "酸价"]
FOOD_BUSINESS_TYPES = ["餐饮服务经营者", "食品销售经营者", "单位食堂"]

ACCIDENT_CAUSES = [
    "超速行驶",
    "未按规定让行",
    "酒后驾驶",
    "违法变更车道",
    "疲劳驾驶",
    "逆行",
    "闯红灯",
    "操作不当",
]
VEHICLE_TYPES = [
    "小型轿车",
    "小型普通客车",
    "重型货车",
    "轻型货车",
    "两轮摩托车",
    "大型普通客车",
    "危险品运输车",
]
WEATHER = ["晴", "阴", "雨", "雾"]
PLATE_LETTERS = list("ABCDEFGHJKLMNPQRSTUVWXYZ")  # I and O never appear on plates
# Number plates begin with the province's character (a city's data file names its own prefixes).
PLATE_PROVINCES = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "贵",
    "53": "云", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip
MOBILE_PREFIXES = [
    "139",
    "180",
    "135",
    "186",
]  # organisations' phones where no landline code is known

FIRE_TYPES = ["火灾", "抢险救援", "社会救助"]
FIRE_TYPE_WEIGHTS = [0.55, 0.35, 0.10]
FIRE_CAUSES = ["电气故障", "用火不慎", "吸烟", "生产作业", "自燃", "原因不明"]
FIRE_HAZARDS = [
    "疏散通道堵塞",
    "消防设施损坏",
    "电气线路私拉乱接",
    "灭火器过期",
    "安全出口锁闭",
    "易燃物品违规存放",
]

HIDDEN_HAZARDS = [
    "储罐区防火堤破损",
    "可燃气体报警器失效",
    "特种作业人员无证上岗",
    "安全阀未定期校验",
    "危化品混存",
    "应急预案未演练",
    "防雷设施未检测",
    "动火作业未审批",
]
WORK_ACCIDENT_TYPES = [
    "物体打击",
    "机械伤害",
    "起重伤害",
    "触电",
    "高处坠落",
    "中毒和窒息",
    "火灾",
    "灼烫",
]
INSTALLATION_KINDS = ["储罐区", "生产装置", "仓库"]

POLLUTANTS = [
    ("颗粒物", 20.0, "mg/m3"),
    ("二氧化硫", 50.0, "mg/m3"),
    ("氮氧化物", 100.0, "mg/m3"),
    ("化学需氧量", 50.0, "mg/L"),
    ("氨氮", 5.0, "mg/L"),
]
STATION_TYPES = ["国控", "省控", "市控"]

# Look-alike characters for typos in names (a silo clerk's slip).
TYPO_CHARS = list("记纪经径限线公工司私餐参馆管")

CHINESE_DIGITS = "零一二三四五六七八九"
FULL_WIDTH_DIGITS = "０１２３４５６７８９"
