"""rasa_ext.nlu.TunedLogisticRegressionClassifier through Rasa's own component API: trained
on real features (Rasa's tokenizer and CountVectorsFeaturizer), stored in a model storage
and loaded back as ``rasa run`` loads it. ``C`` reaches the classifier, survives storage,
and makes the short follow-up that Rasa's fixed ``C=1`` spreads thin a confident one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_ext.nlu import DEFAULT_C, TunedLogisticRegressionClassifier

EXAMPLES = {
    "follow_up": ["在哪", "几点", "多少钱", "收费吗", "什么时候"],
    "greet": ["你好", "您好", "早上好", "哈喽", "嗨"],
    "ask_course": ["PLC课程在哪上", "匠心工坊什么时候开班", "汽修班多少钱", "机器人课收费吗", "民宿课几点上"],
}


def featurized(texts_by_intent: dict[str, list[str]] | list[str], storage: LocalModelStorage) -> Any:
    """Messages split into characters (the way jieba leaves unknown short words) and
    featurized by Rasa's CountVectorsFeaturizer, trained on the examples."""
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage, Resource("t"), context)
    if isinstance(texts_by_intent, dict):
        messages = [
            Message(data={"text": " ".join(t), "intent": intent})
            for intent, texts in texts_by_intent.items()
            for t in texts
        ]
        data = TrainingData(messages)
        tokenizer.process_training_data(data)
        return data
    messages = [Message(data={"text": " ".join(t)}) for t in texts_by_intent]
    tokenizer.process(messages)
    return messages


def train_and_load(tmp_path: Path, config: dict[str, Any]) -> tuple[TunedLogisticRegressionClassifier, Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "intent")
    data = featurized(EXAMPLES, storage)
    cvf = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 2},
        storage,
        Resource("cvf"),
        context,
    )
    cvf.train(data)
    cvf.process_training_data(data)
    full = {**TunedLogisticRegressionClassifier.get_default_config(), **config}
    resource = Resource("intent")
    trained = TunedLogisticRegressionClassifier.create(full, storage, resource, context)
    trained.train(data)
    loaded = TunedLogisticRegressionClassifier.load(full, storage, resource, context)
    return loaded, cvf


def confidence(classifier: TunedLogisticRegressionClassifier, cvf: CountVectorsFeaturizer, text: str) -> dict[str, Any]:
    messages = featurized([text], classifier._model_storage)  # type: ignore[arg-type]
    cvf.process(messages)
    classifier.process(messages)
    return messages[0].get("intent")


def test_c_defaults_to_the_measured_value_and_reaches_sklearn() -> None:
    config = TunedLogisticRegressionClassifier.get_default_config()
    assert config["C"] == DEFAULT_C == 100.0
    assert config["max_iter"] == 100  # Rasa's own defaults stay
    storage = LocalModelStorage(Path("/nonexistent-never-written"))
    context = ExecutionContext(GraphSchema({}), "intent")
    component = TunedLogisticRegressionClassifier.create({**config, "C": 7}, storage, Resource("x"), context)
    params = component.clf.get_params()
    assert params["C"] == 7.0 and params["class_weight"] == "balanced" and params["solver"] == "lbfgs"


@pytest.mark.parametrize("c", [1.0, 100.0])
def test_a_stored_classifier_loads_with_its_c(tmp_path: Path, c: float) -> None:
    loaded, cvf = train_and_load(tmp_path, {"C": c})
    assert loaded.clf.C == c
    assert confidence(loaded, cvf, "你好")["name"] == "greet"


def test_a_weaker_regularisation_makes_a_short_follow_up_confident(tmp_path: Path) -> None:
    rasa_default, cvf1 = train_and_load(tmp_path / "c1", {"C": 1.0})
    tuned, cvf100 = train_and_load(tmp_path / "c100", {"C": 100.0})
    weak = confidence(rasa_default, cvf1, "在哪")
    strong = confidence(tuned, cvf100, "在哪")
    assert strong["name"] == "follow_up"
    assert strong["confidence"] > weak["confidence"]
    assert strong["confidence"] > 0.4  # above config.yml's fallback threshold


def test_a_message_without_features_gets_a_flat_ranking_not_a_crash(tmp_path: Path) -> None:
    """An empty or blank text has no features; Rasa's own classifier crashes the NLU graph
    on it (and its intercepts alone would say affirm). Here it is equally unlikely to be
    anything, far below config.yml's fallback threshold, beside a normal message."""
    tuned, cvf = train_and_load(tmp_path, {})
    blank, normal = Message(data={"text": ""}), featurized(["你好"], tuned._model_storage)[0]
    cvf.process([blank, normal])
    assert blank.get_sparse_features("text")[1] is None
    tuned.process([blank, normal])
    ranking = blank.get("intent_ranking")
    assert {r["name"] for r in ranking} == set(EXAMPLES)
    assert {r["confidence"] for r in ranking} == {1 / len(EXAMPLES)}
    assert blank.get("intent")["confidence"] < 0.4
    assert normal.get("intent")["name"] == "greet"
