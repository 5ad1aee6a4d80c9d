# Place names are the data here; one-row tables read better unwrapped.
# ruff: noqa: E501
"""Chinese place names shared by the Chinese location and address recognizers.

``PROVINCES``/``CITIES``: provincial-level divisions (GB/T 2260), large cities and county-level
cities, written here. ``GAZETTEER``: every division of ``cn_divisions.txt`` (provinces,
prefectures, counties and districts, derived from cpca's table, MIT: see that file) by its full
name and its short name (广东省 and 广东, 海淀区 and 海淀), plus ``WORLD_PLACES`` (countries,
regions and world cities as Chinese text writes them, written here). Found by dictionary lookup
over the text (longest name first), never by a regex alternation of thousands of names.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from detectors.longest_match import LongestMatch

PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]

PROVINCE_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市",
)  # fmt: skip

CITIES = [
    "哈尔滨",
    "长春",
    "沈阳",
    "呼和浩特",
    "石家庄",
    "乌鲁木齐",
    "兰州",
    "西宁",
    "西安",
    "银川",
    "郑州",
    "济南",
    "太原",
    "合肥",
    "武汉",
    "长沙",
    "南京",
    "成都",
    "贵阳",
    "昆明",
    "南宁",
    "拉萨",
    "杭州",
    "南昌",
    "广州",
    "福州",
    "台北",
    "海口",
    "深圳",
    "苏州",
    "无锡",
    "常州",
    "宁波",
    "温州",
    "绍兴",
    "嘉兴",
    "湖州",
    "金华",
    "台州",
    "厦门",
    "泉州",
    "漳州",
    "青岛",
    "烟台",
    "潍坊",
    "临沂",
    "淄博",
    "济宁",
    "威海",
    "大连",
    "鞍山",
    "抚顺",
    "丹东",
    "锦州",
    "吉林",
    "唐山",
    "秦皇岛",
    "邯郸",
    "保定",
    "廊坊",
    "沧州",
    "大同",
    "洛阳",
    "开封",
    "新乡",
    "南阳",
    "许昌",
    "宜昌",
    "襄阳",
    "荆州",
    "十堰",
    "株洲",
    "湘潭",
    "衡阳",
    "岳阳",
    "常德",
    "东莞",
    "佛山",
    "珠海",
    "中山",
    "惠州",
    "汕头",
    "江门",
    "湛江",
    "肇庆",
    "茂名",
    "桂林",
    "柳州",
    "北海",
    "三亚",
    "绵阳",
    "德阳",
    "宜宾",
    "南充",
    "泸州",
    "乐山",
    "遵义",
    "大理",
    "丽江",
    "曲靖",
    "宝鸡",
    "咸阳",
    "延安",
    "天水",
    "包头",
    "鄂尔多斯",
    "赤峰",
    "齐齐哈尔",
    "大庆",
    "牡丹江",
    "徐州",
    "南通",
    "扬州",
    "镇江",
    "盐城",
    "淮安",
    "连云港",
    "泰州",
    "宿迁",
    "芜湖",
    "蚌埠",
    "安庆",
    "阜阳",
    "九江",
    "赣州",
    "上饶",
    "景德镇",
    "张家口",
    "承德",
    "邢台",
    "通辽",
    "昆山",
    "义乌",
    "张家港",
    "江阴",
    "常熟",
    "晋江",
    "喀什",
    "克拉玛依",
    "日喀则",
    "西双版纳",
    "香港",
    "澳门",
]

# Countries, regions and world cities as Chinese text names them (ours).
WORLD_PLACES = (
    "中国", "中华", "大陆", "内地", "美国", "英国", "法国", "德国", "意大利", "西班牙", "葡萄牙",
    "荷兰", "比利时", "瑞士", "瑞典", "挪威", "丹麦", "芬兰", "冰岛", "爱尔兰", "奥地利", "波兰",
    "捷克", "匈牙利", "希腊", "土耳其", "俄罗斯", "乌克兰", "白俄罗斯", "格鲁吉亚", "罗马尼亚",
    "日本", "韩国", "朝鲜", "越南", "泰国", "柬埔寨", "老挝", "缅甸", "马来西亚", "新加坡",
    "印度尼西亚", "印尼", "菲律宾", "印度", "巴基斯坦", "孟加拉", "尼泊尔", "斯里兰卡", "蒙古国",
    "哈萨克斯坦", "乌兹别克斯坦", "伊朗", "伊拉克", "叙利亚", "以色列", "约旦", "沙特", "沙特阿拉伯",
    "阿联酋", "迪拜", "卡塔尔", "科威特", "阿富汗", "埃及", "利比亚", "突尼斯", "摩洛哥", "阿尔及利亚",
    "南非", "尼日利亚", "肯尼亚", "埃塞俄比亚", "坦桑尼亚", "赞比亚", "马拉维", "津巴布韦", "加纳",
    "苏丹", "安哥拉", "加拿大", "墨西哥", "古巴", "巴西", "阿根廷", "智利", "秘鲁", "哥伦比亚",
    "委内瑞拉", "澳大利亚", "澳洲", "新西兰", "欧洲", "亚洲", "非洲", "北美", "南美", "美洲",
    "大洋洲", "东南亚", "中东", "纽约", "洛杉矶", "旧金山", "芝加哥", "华盛顿", "波士顿", "西雅图",
    "温哥华", "多伦多", "伦敦", "巴黎", "柏林", "罗马", "米兰", "马德里", "巴塞罗那", "阿姆斯特丹",
    "莫斯科", "东京", "大阪", "京都", "首尔", "釜山", "曼谷", "河内", "胡志明市", "吉隆坡", "雅加达",
    "马尼拉", "新德里", "孟买", "悉尼", "墨尔本", "奥克兰", "日内瓦", "苏黎世", "维也纳", "布拉格",
    "伊斯坦布尔", "开罗", "好莱坞", "夏威夷", "加州", "加利福尼亚", "纽约州", "德克萨斯", "佛罗里达",
    "台北", "新北", "桃园", "台中", "台南", "高雄", "基隆", "新竹", "嘉义", "花莲", "台東", "台东",
    "宜兰", "屏东", "苗栗", "彰化", "南投", "云林", "澎湖", "金门", "九龙", "新界", "尖沙咀", "铜锣湾",
    "旺角", "湾仔", "中环", "氹仔",
)  # fmt: skip

_DIVISIONS_FILE = pathlib.Path(__file__).with_name("cn_divisions.txt")
# Suffixes that make a short name from a full one, longest first.
_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县",
    "自治旗", "地区", "林区", "新区", "省", "市", "区", "县", "盟", "旗",
)  # fmt: skip
_ETHNIC = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家",
    "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜",
    "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克",
    "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春",
    "赫哲", "门巴", "珞巴", "基诺",
)  # fmt: skip
# Divisions whose full name is a generic word (城区 is a district of 阳泉, and of others).
_GENERIC = frozenset({"城区", "郊区", "矿区", "市中区", "城关区", "城中区", "新城区", "老城区",
                      "城东区", "城西区", "城南区", "城北区", "新区", "东区", "西区", "南区", "北区"})  # fmt: skip


@dataclass(frozen=True)
class PlaceName:
    """A gazetteer entry: 0 world place, 1 province, 2 prefecture, 3 county or district."""

    level: int
    full: bool  # written with its administrative suffix (广东省, 海淀区)


def short_name(name: str) -> str:
    """广东省 -> 广东, 凉山彝族自治州 -> 凉山; a name with nothing to strip is returned as is."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            changed = True
            while changed and suffix.startswith("自治"):
                changed = False
                for group in sorted(_ETHNIC, key=len, reverse=True):
                    for tail in (group + "族", group):
                        if stem.endswith(tail) and len(stem) > len(tail) + 1:
                            stem = stem[: -len(tail)]
                            changed = True
                            break
                    if changed:
                        break
            return stem
    return name


def load_divisions() -> list[tuple[str, int]]:
    rows = []
    for line in _DIVISIONS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, level = line.split("\t")
            rows.append((name, int(level)))
    return rows


def build_gazetteer() -> dict[str, PlaceName]:
    """Every name the location and address recognizers look up, full names first."""
    names: dict[str, PlaceName] = {}
    divisions = load_divisions()
    for name, level in divisions:
        if name not in _GENERIC and len(name) >= 2:
            names.setdefault(name, PlaceName(level, True))
    for name, level in divisions:
        short = short_name(name)
        if short != name and len(short) >= 2 and name not in _GENERIC:
            names.setdefault(short, PlaceName(level, False))
    for name in (*PROVINCES, *CITIES):
        names.setdefault(name, PlaceName(2, False))
    for name in WORLD_PLACES:
        names.setdefault(name, PlaceName(0, False))
    return names


GAZETTEER = LongestMatch(build_gazetteer())  # every place name -> its entry
