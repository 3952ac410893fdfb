import datetime as dt
from decimal import Decimal

from bot.formatting import day, decimal_es, first_name, kwh, mask_address, mask_name, money, month
from bot.phones import to_e164


def test_money_reads_like_a_colombian_bill():
    assert money(Decimal("84350.40")) == "$ 84.350"
    assert money(Decimal("1234567.5")) == "$ 1.234.568"
    assert money(0) == "$ 0"


def test_dates_are_in_spanish_with_the_year_only_when_needed():
    today = dt.date(2026, 11, 28)
    assert day(dt.date(2026, 12, 15), today) == "15 de diciembre"
    assert day(dt.date(2027, 1, 3), today) == "3 de enero de 2027"
    assert month(dt.date(2026, 10, 1)) == "octubre de 2026"


def test_energy_in_kwh_and_decimals_with_a_comma():
    assert kwh(Decimal("1520.4")) == "1.520 kWh"
    assert decimal_es(Decimal("5.40")) == "5,4"


def test_names_and_addresses_are_masked():
    assert mask_name("Ana Lucía Restrepo Gómez") == "Ana L. R. G."
    assert mask_name("Sra. Ana Gómez") == "Ana G." and first_name("Dr. Luis Pérez") == "Luis"  # titles skipped
    assert first_name("Ana Lucía Restrepo") == "Ana"
    assert mask_address("Calle 45 # 12-30") == "Calle 45 # ***"
    assert "100-05" not in mask_address("Calle 80 # 100-05 Apto 302")


def test_phones_are_normalised_to_e164():
    assert to_e164("whatsapp:+573001234501") == "+573001234501"
    assert to_e164("300 123 4501") == "+573001234501"
    assert to_e164("hola") is None
    assert to_e164("123456789") is None


def test_a_mexican_whatsapp_sender_in_the_old_521_form_is_the_same_phone():
    # Twilio's WhatsApp webhooks still bring many Mexican senders as whatsapp:+521 and ten digits
    assert to_e164("whatsapp:+5215512345678") == to_e164("+52 55 1234 5678") == "+525512345678"
    assert to_e164("+5215512345") is None  # not ten digits after the 1: not a phone
