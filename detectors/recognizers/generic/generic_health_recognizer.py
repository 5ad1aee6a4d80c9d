# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""HEALTH: medical conditions, medications, allergies and pregnancy, in English and Chinese.

A curated term list (no NER model covers health here): a condition or medication name is a
strong signal in a shop chat; allergy phrases ("allergic to penicillin", "对花生过敏") are
flagged with the allergen.
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result

CONDITIONS_EN = (
    "diabetes", "diabetic", "type 1 diabetes", "type 2 diabetes", "asthma", "asthmatic",
    "hypertension", "high blood pressure", "low blood pressure", "heart disease",
    "heart condition", "heart attack", "heart failure", "stroke", "cancer", "leukemia",
    "leukaemia", "tumor", "tumour", "chemotherapy", "chemo", "depression", "depressed",
    "anxiety disorder", "anxiety", "panic attacks", "bipolar disorder", "bipolar",
    "schizophrenia", "ptsd", "adhd", "autism", "autistic", "dementia", "alzheimer's",
    "alzheimers", "parkinson's", "epilepsy", "epileptic", "seizures", "migraines", "migraine",
    "arthritis", "rheumatoid arthritis", "osteoporosis", "eczema", "psoriasis", "hiv",
    "aids", "hepatitis b", "hepatitis c", "hepatitis", "tuberculosis", "covid-19", "covid",
    "celiac disease", "coeliac disease", "crohn's disease", "ibs", "kidney disease",
    "kidney failure", "dialysis", "liver disease", "cirrhosis", "multiple sclerosis",
    "lupus", "thyroid", "hypothyroidism", "hyperthyroidism", "pregnant", "pregnancy",
    "miscarriage", "infertility", "ivf", "disability", "wheelchair", "blind", "deaf",
    "lactose intolerant", "lactose intolerance", "gluten intolerance", "sleep apnea",
    "insomnia", "anorexia", "bulimia", "eating disorder", "surgery", "broken leg",
    "broken arm", "fractured", "concussion", "high cholesterol", "gout", "glaucoma",
    "cataracts", "hearing aid", "pacemaker", "inhaler", "epipen", "anaphylaxis",
)  # fmt: skip
MEDICATIONS_EN = (
    "insulin", "metformin", "ibuprofen", "aspirin", "paracetamol", "acetaminophen",
    "warfarin", "antidepressants", "antidepressant", "sertraline", "fluoxetine", "prozac",
    "zoloft", "xanax", "lisinopril", "amlodipine", "atorvastatin", "statins", "levothyroxine",
    "prednisone", "antibiotics", "amoxicillin", "penicillin", "methotrexate", "adderall",
    "ritalin", "oxycodone", "morphine", "codeine", "inhalers", "salbutamol", "ventolin",
    "antihistamines", "chemotherapy drugs", "birth control pills", "omeprazole",
)  # fmt: skip
TERMS_ZH = (
    "糖尿病", "高血压", "低血压", "心脏病", "冠心病", "心梗", "中风", "脑梗", "癌症", "肺癌",
    "乳腺癌", "胃癌", "肝癌", "白血病", "肿瘤", "化疗", "放疗", "抑郁症", "抑郁", "焦虑症",
    "双相情感障碍", "精神分裂", "自闭症", "多动症", "老年痴呆", "阿尔茨海默", "帕金森",
    "癫痫", "哮喘", "关节炎", "骨质疏松", "湿疹", "银屑病", "牛皮癣", "艾滋病", "HIV",
    "乙肝", "丙肝", "肝炎", "结核", "肺结核", "新冠", "肾病", "肾衰竭", "透析", "肝硬化",
    "甲亢", "甲减", "甲状腺", "怀孕", "孕妇", "孕期", "怀孕了", "流产", "不孕", "试管婴儿",
    "残疾", "轮椅", "失明", "耳聋", "乳糖不耐受", "失眠", "厌食症", "手术", "骨折", "痛风",
    "青光眼", "白内障", "助听器", "心脏起搏器", "胰岛素", "二甲双胍", "布洛芬", "阿司匹林",
    "对乙酰氨基酚", "华法林", "抗抑郁药", "抗生素", "阿莫西林", "青霉素", "头孢", "降压药",
    "降糖药", "激素", "过敏性鼻炎", "鼻炎", "花粉过敏", "海鲜过敏", "花生过敏", "药物过敏",
    "青霉素过敏", "过敏体质", "尿毒症", "高血脂", "脂肪肝", "胃溃疡", "偏头痛", "近视手术",
)  # fmt: skip


def _alternation(terms: tuple[str, ...]) -> str:
    return "|".join(regex.escape(t) for t in sorted(set(terms), key=len, reverse=True))


_EN_TERMS = regex.compile(
    rf"(?<![A-Za-z])(?:{_alternation(CONDITIONS_EN + MEDICATIONS_EN)})(?![A-Za-z])", regex.I
)
_ZH_TERMS = regex.compile(_alternation(TERMS_ZH))
_ALLERGY_EN = regex.compile(
    r"(?<![A-Za-z])(?:(?:severe(?:ly)?\s)?allergic\sto\s(?:[A-Za-z-]+(?:\s(?:and|&)\s)?){1,3}"
    r"|(?:[A-Za-z-]+\s)?allerg(?:y|ies)(?:\sto\s[A-Za-z-]+)?)",
    regex.I,
)
_ALLERGENS_ZH = "花生|海鲜|芒果|青霉素|酒精|花粉|尘螨|牛奶|鸡蛋|坚果|小麦|大豆|头孢|药物|猫毛|狗毛|虾|蟹|乳胶|麸质"
_ALLERGY_ZH = regex.compile(
    rf"对[\p{{Han}}A-Za-z]{{1,8}}?过敏|(?:{_ALLERGENS_ZH})过敏|过敏性[\p{{Han}}]{{1,3}}?(?:炎|症|哮喘)"
)
_NOT_ALLERGEN = frozenset({"a", "an", "the", "my", "any", "no", "food", "skin", "is", "have"})


class GenericHealthRecognizer(ProjectLocalRecognizer):
    ENTITY = "HEALTH"
    CONTEXT_WORDS = ("medical", "doctor", "hospital", "diagnosed", "医生", "医院", "确诊", "病")

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for pattern, score, why in (
            (_EN_TERMS, 0.7, "health term"),
            (_ZH_TERMS, 0.7, "health term"),
            (_ALLERGY_EN, 0.75, "allergy phrase"),
            (_ALLERGY_ZH, 0.75, "allergy phrase"),
        ):
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs):
                start, end = match.span()
                phrase = match.group(0).rstrip()
                words = phrase.lower().split()
                if why == "allergy phrase" and words and words[0] in _NOT_ALLERGEN:
                    start += len(phrase.split()[0]) + 1
                end = start + len(text[start:end].rstrip())
                results.append(
                    make_result(self.ENTITY, start, end, score, type(self).__name__, why)
                )
        return results
