"""Merchant categories of the living circle, with their names in the product's languages."""

from __future__ import annotations

CATEGORIES: dict[str, dict[str, str]] = {
    "supermarket": {"zh-CN": "超市", "en": "Supermarket", "ko": "슈퍼마켓"},
    "convenience": {"zh-CN": "便利店", "en": "Convenience store", "ko": "편의점"},
    "fresh_produce": {"zh-CN": "生鲜果蔬", "en": "Fresh produce", "ko": "신선식품"},
    "restaurant": {"zh-CN": "餐饮", "en": "Restaurant", "ko": "식당"},
    "breakfast": {"zh-CN": "早点", "en": "Breakfast", "ko": "아침식사"},
    "bakery": {"zh-CN": "面包糕点", "en": "Bakery", "ko": "베이커리"},
    "pharmacy": {"zh-CN": "药店", "en": "Pharmacy", "ko": "약국"},
    "hardware": {"zh-CN": "五金建材", "en": "Hardware", "ko": "철물점"},
    "laundry": {"zh-CN": "洗衣", "en": "Laundry", "ko": "세탁소"},
    "barber": {"zh-CN": "理发", "en": "Barber", "ko": "이발소"},
    "parcel_station": {"zh-CN": "快递驿站", "en": "Parcel station", "ko": "택배 보관소"},
    "repair": {"zh-CN": "家电维修", "en": "Appliance repair", "ko": "가전 수리"},
    "home_service": {"zh-CN": "家政服务", "en": "Home services", "ko": "가사 서비스"},
    "clinic": {"zh-CN": "社区诊所", "en": "Clinic", "ko": "의원"},
    "utilities": {"zh-CN": "缴费网点", "en": "Bill payment point", "ko": "공과금 납부처"},
}
