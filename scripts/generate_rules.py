"""Writes data/journeys.yml: the rules every journey follows, from one table.

Run `python scripts/generate_rules.py` after adding a journey or a form; the
output is committed so training needs nothing but the data folder.
"""
from pathlib import Path
from typing import Any, Dict

import yaml

# Journeys that need the verified owner of an account: start, identify, run.
IDENTITY_JOURNEYS = [
    "check_balance", "high_bill_inquiry", "request_bill_copy", "pay_bill", "report_payment",
    "payment_arrangement", "consumption_history", "report_outage", "outage_status", "planned_outages",
    "report_power_quality", "file_complaint", "complaint_status", "report_meter_reading", "reconnection",
    "update_contact", "subscribe_alerts", "unsubscribe_alerts", "enroll_ebill",
]
# Identified journeys that go on to collect more in a form.
FORM_JOURNEYS = {
    "file_complaint": "complaint_form",
    "report_meter_reading": "meter_reading_form",
    "report_payment": "payment_report_form",
    "payment_arrangement": "arrangement_form",
    "update_contact": "contact_form",
}
# Journeys anyone may use: intent -> first steps.
OPEN_JOURNEYS = {
    "report_hazard": ["action_report_hazard", "hazard_form"],
    "new_connection": ["connection_form"],
    "change_owner": ["change_owner_form"],
    "office_info": ["action_office_info"],
    "tariff_info": ["action_tariff_info"],
    "energy_saving_tips": ["action_energy_saving_tips"],
    "distributed_generation": ["action_distributed_generation"],
}
# Form -> the action that acts on what it collected.
FORMS = {
    "identify_form": "action_run_journey",
    "complaint_form": "action_submit_complaint",
    "meter_reading_form": "action_submit_meter_reading",
    "payment_report_form": "action_submit_payment_report",
    "arrangement_form": "action_submit_arrangement",
    "contact_form": "action_submit_contact",
    "hazard_form": "action_hazard_location",
    "connection_form": "action_submit_connection",
    "change_owner_form": "action_submit_change_owner",
}
# A question in the middle of a form: answered, then the form asks again.
QUESTIONS = {
    "help": "utter_help",
    "bot_challenge": "utter_iamabot",
    "office_info": "action_office_info",
    "tariff_info": "action_tariff_info",
    "energy_saving_tips": "action_energy_saving_tips",
}
# Forms whose answers are the customer's own account of a problem: "el asesor de la oficina me trató mal"
# is a complaint, not a question about offices, so only "help" and "are you a bot?" interrupt them.
FREE_TEXT_FORMS = {"complaint_form"}
# Leaving a form: the answer, and the form is closed.
EXITS = {"request_agent": "action_handoff", "goodbye": "utter_goodbye"}


def steps_for(intent, actions):
    steps = [{"intent": intent}]
    for action in actions:
        steps.append({"action": action})
        if action.endswith("_form"):
            steps.append({"active_loop": action})
    return steps


def rules():
    out = []
    for intent in IDENTITY_JOURNEYS:
        out.append({"rule": f"{intent} (identified)", "steps": steps_for(intent, ["action_start_journey", "identify_form"])})
    for intent in IDENTITY_JOURNEYS:
        steps = [{"action": "action_run_journey"}]
        if intent in FORM_JOURNEYS:
            steps += [{"action": FORM_JOURNEYS[intent]}, {"active_loop": FORM_JOURNEYS[intent]}]
        out.append({"rule": f"{intent} runs once identified", "condition": [{"slot_was_set": [{"journey": intent}]}],
                    "steps": steps})
    out.append({"rule": "identification failed: nothing to run", "condition": [{"slot_was_set": [{"journey": None}]}],
                "steps": [{"action": "action_run_journey"}]})
    for intent, actions in OPEN_JOURNEYS.items():
        out.append({"rule": intent, "steps": steps_for(intent, actions)})
    for form, submit in FORMS.items():
        done: Dict[str, Any] = {
            "rule": f"{form} done", "condition": [{"active_loop": form}],
            "steps": [{"action": form}, {"active_loop": None}, {"slot_was_set": [{"requested_slot": None}]}, {"action": submit}],
        }
        if form == "identify_form":
            done["wait_for_user_input"] = False  # the journey's own rule continues
        out.append(done)
        for intent, answer in QUESTIONS.items():
            if form in FREE_TEXT_FORMS and intent not in ("help", "bot_challenge"):
                continue
            out.append({
                "rule": f"{intent} during {form}", "condition": [{"active_loop": form}],
                "steps": [{"intent": intent}, {"action": answer}, {"action": form}, {"active_loop": form}],
            })
        for intent, answer in EXITS.items():
            out.append({
                "rule": f"{intent} leaves {form}", "condition": [{"active_loop": form}],
                "steps": [{"intent": intent}, {"action": answer}, {"action": "action_deactivate_loop"}, {"active_loop": None}],
            })
        if form != "hazard_form":  # danger first: whatever we were doing, the safety instructions now
            out.append({
                "rule": f"report_hazard leaves {form}", "condition": [{"active_loop": form}],
                "steps": [{"intent": "report_hazard"}, {"action": "action_deactivate_loop"}, {"active_loop": None},
                          *steps_for("report_hazard", OPEN_JOURNEYS["report_hazard"])[1:]],
            })
    return out


def main() -> None:
    target = Path(__file__).resolve().parent.parent / "data" / "journeys.yml"
    header = "# Generated by scripts/generate_rules.py: edit the tables there, not this file.\n"
    body = yaml.safe_dump({"version": "3.1", "rules": rules()}, allow_unicode=True, sort_keys=False, width=120)
    target.write_text(header + body)


if __name__ == "__main__":
    main()
