"""The intent classifier trains, survives persisting and loading, and separates look-alike intents."""
from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.concepts import CONCEPTS, concept_flags
from bot.rasa_plugins.nlu.linear_intent_classifier import LinearIntentClassifier
from bot.text import fold

EXAMPLES = {
    "subscribe_alerts": ["quiero recibir alertas", "activen los avisos", "suscribirme a notificaciones",
                         "mandenme avisos por sms", "quiero que me avisen de los cortes", "alta en alertas"],
    "unsubscribe_alerts": ["quiero dejar de recibir alertas", "desactiven los avisos", "no me manden mas sms",
                           "darme de baja de las notificaciones", "cancelar las alertas", "ya no quiero avisos"],
    "greet": ["hola", "buenos dias", "buenas tardes", "que tal", "saludos", "holi"],
}


def train(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intents")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**LinearIntentClassifier.get_default_config(), "calibration_folds": 3}
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts])
    LinearIntentClassifier.create(config, storage, resource, context).train(data)
    return LinearIntentClassifier.load(config, storage, resource, context)


def parse(classifier, text):
    return classifier.process([Message(data={"text": text})])[0]


def test_a_loaded_classifier_tells_stopping_alerts_from_asking_for_them(tmp_path):
    classifier = train(tmp_path)
    assert parse(classifier, "porfa dejen de mandarme alertas").get("intent")["name"] == "unsubscribe_alerts"
    assert parse(classifier, "porfa activen las alertas").get("intent")["name"] == "subscribe_alerts"
    message = parse(classifier, "hola")
    assert message.get("intent")["name"] == "greet"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "greet" and abs(sum(r["confidence"] for r in ranking) - 1) < 1e-6


def test_a_blank_message_still_gets_a_low_confidence_intent(tmp_path):
    classifier = train(tmp_path)
    assert parse(classifier, "   ").get("intent")["confidence"] < 0.5


def test_concepts_ignore_case_and_accents():
    stop = list(CONCEPTS).index("stop")
    no_power = list(CONCEPTS).index("no_power")
    assert fold("Cuándo VUELVE") == "cuando vuelve"
    flags = concept_flags(["DESACTIVEN las notificaciones", "Me quedé SIN LUZ", "hola"])
    assert flags[0, stop] == 1 and flags[1, no_power] == 1 and flags[2].sum() <= 2
