"""The project's recognizers; ``build_recognizers`` makes one instance per language."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from detectors.recognizers.base import ProjectLocalRecognizer, ProjectPatternRecognizer
from detectors.recognizers.cn.cn_location_recognizer import CnLocationRecognizer
from detectors.recognizers.cn.cn_person_recognizer import CnPersonRecognizer
from detectors.recognizers.cn.cn_phone_recognizer import CnPhoneRecognizer
from detectors.recognizers.cn.cn_resident_id_recognizer import CnResidentIdRecognizer
from detectors.recognizers.cn.cn_street_address_recognizer import CnStreetAddressRecognizer
from detectors.recognizers.en.en_international_address_recognizer import (
    EnInternationalAddressRecognizer,
)
from detectors.recognizers.en.en_location_recognizer import EnLocationRecognizer
from detectors.recognizers.en.en_person_recognizer import EnPersonRecognizer
from detectors.recognizers.en.en_street_address_recognizer import EnStreetAddressRecognizer
from detectors.recognizers.en.us_driver_license_recognizer import EnUsDriverLicenseRecognizer
from detectors.recognizers.en.us_ssn_recognizer import EnUsSsnRecognizer
from detectors.recognizers.generic.generic_age_recognizer import GenericAgeRecognizer
from detectors.recognizers.generic.generic_bank_account_recognizer import (
    GenericBankAccountRecognizer,
)
from detectors.recognizers.generic.generic_credit_card_recognizer import (
    GenericCreditCardRecognizer,
)
from detectors.recognizers.generic.generic_cued_person_recognizer import (
    GenericCuedPersonRecognizer,
)
from detectors.recognizers.generic.generic_date_of_birth_recognizer import (
    GenericDateOfBirthRecognizer,
)
from detectors.recognizers.generic.generic_device_id_recognizer import GenericDeviceIdRecognizer
from detectors.recognizers.generic.generic_email_recognizer import GenericEmailRecognizer
from detectors.recognizers.generic.generic_gps_coordinates_recognizer import (
    GenericGpsCoordinatesRecognizer,
)
from detectors.recognizers.generic.generic_health_recognizer import GenericHealthRecognizer
from detectors.recognizers.generic.generic_iban_recognizer import GenericIbanRecognizer
from detectors.recognizers.generic.generic_ip_recognizer import GenericIpRecognizer
from detectors.recognizers.generic.generic_passport_recognizer import GenericPassportRecognizer
from detectors.recognizers.generic.generic_phone_recognizer import GenericPhoneRecognizer
from detectors.recognizers.generic.generic_phonenumbers_recognizer import (
    GenericPhonenumbersRecognizer,
)
from detectors.recognizers.generic.generic_wechat_id_recognizer import GenericWechatIdRecognizer

RecognizerClass = type[ProjectPatternRecognizer] | type[ProjectLocalRecognizer]

RECOGNIZER_CLASSES: tuple[RecognizerClass, ...] = (
    CnResidentIdRecognizer,
    CnPhoneRecognizer,
    CnPersonRecognizer,
    CnStreetAddressRecognizer,
    CnLocationRecognizer,
    EnPersonRecognizer,
    EnLocationRecognizer,
    EnStreetAddressRecognizer,
    EnInternationalAddressRecognizer,
    EnUsSsnRecognizer,
    EnUsDriverLicenseRecognizer,
    GenericAgeRecognizer,
    GenericBankAccountRecognizer,
    GenericCreditCardRecognizer,
    GenericCuedPersonRecognizer,
    GenericDateOfBirthRecognizer,
    GenericDeviceIdRecognizer,
    GenericEmailRecognizer,
    GenericGpsCoordinatesRecognizer,
    GenericHealthRecognizer,
    GenericIbanRecognizer,
    GenericIpRecognizer,
    GenericPassportRecognizer,
    GenericPhoneRecognizer,
    GenericPhonenumbersRecognizer,
    GenericWechatIdRecognizer,
)


def build_recognizers(languages: tuple[str, ...]) -> list[EntityRecognizer]:
    """One instance of every recognizer for each language it supports."""
    return [
        cls(supported_language=language)
        for cls in RECOGNIZER_CLASSES
        for language in languages
        if language in cls.LANGUAGES
    ]


def supported_entities() -> frozenset[str]:
    return frozenset(cls.ENTITY for cls in RECOGNIZER_CLASSES)
