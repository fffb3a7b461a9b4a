# SPDX-License-Identifier: BSD-3-Clause
import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from sklearn_rnn import Seq2SeqTransformer
from sklearn_rnn._modules import Seq2SeqNetwork, beam_search, greedy_search
from sklearn_rnn._seq2seq import _TeacherForcingSchedule
from sklearn_rnn.datasets import make_addition_pairs, make_date_pairs

# ----------------------------------------------------------------------
# Beam search on a crafted decoder distribution
# ----------------------------------------------------------------------
# Tokens: 0 = A, 1 = B, 2 = C, 3 = eos, 4 = bos (never produced). The
# textbook case: greedy picks A, B, C, eos with P = .5 * .4 * .4 * .6 = 0.048
# while A, C, B, eos has P = .5 * .3 * .6 * .6 = 0.054. Every shorter
# sequence is less probable than the latter (the most probable, "eos" alone
# and "A, eos", have P = .05), so beams of width 2 or more must end on A, C,
# B, eos. A beam of width 1 only extends A, B, C, as greedy does, but keeps
# the .05 of the two short ones, finished on the way.
A, B, C, EOS, BOS = range(5)
_TABLE = {
    (): [0.5, 0.2, 0.25, 0.05],
    (A,): [0.2, 0.4, 0.3, 0.1],
    (A, B): [0.2, 0.2, 0.4, 0.2],
    (A, C): [0.1, 0.6, 0.2, 0.1],
    (A, B, C): [0.1, 0.1, 0.2, 0.6],
    (A, C, B): [0.1, 0.2, 0.1, 0.6],
}
_OTHER = [0.3, 0.3, 0.3, 0.1]  # any other prefix


def _crafted_step(previous, state):
    """Next-token log-probabilities given the prefix held in the state."""
    (prefix,) = state
    prefix = torch.cat([prefix, previous[:, None]], dim=1)
    rows = []
    for row in prefix.tolist():
        key = tuple(t for t in row if t != BOS)
        rows.append(_TABLE.get(key, _OTHER) + [0.0])
    return torch.tensor(rows).log(), (prefix,)


def _decode(width, n=2):
    rows = n * max(width, 1)
    start = torch.full((rows,), BOS)
    state = (torch.empty(rows, 0, dtype=torch.long),)
    if width == 0:  # greedy
        return greedy_search(_crafted_step, state, start, 10, eos=EOS), None
    return beam_search(_crafted_step, state, start, 10, EOS, width)


def test_greedy_takes_the_locally_best_path():
    tokens, _ = _decode(0)
    assert tokens.tolist() == [[A, B, C, EOS]] * 2


@pytest.mark.parametrize("width", [2, 3, 4, 6])
def test_beam_search_finds_the_more_probable_sequence(width):
    tokens, log_prob = _decode(width)
    assert tokens.tolist() == [[A, C, B, EOS]] * 2
    np.testing.assert_allclose(log_prob.exp().numpy(), [0.054] * 2, rtol=1e-5)


def test_beam_width_one_keeps_what_greedy_passed_by():
    tokens, log_prob = _decode(1)
    # "eos" and "A, eos" tie at .05 > .048: either may win.
    ends = [row[: row.index(EOS) + 1] for row in tokens.tolist()]
    assert all(end in ([EOS], [A, EOS]) for end in ends)
    np.testing.assert_allclose(log_prob.exp().numpy(), [0.05] * 2, rtol=1e-5)


def test_beam_search_keeps_finished_prefixes():
    # "eos" right away (P=.1) beats every longer sequence when the rest is
    # spread thin; the beam must keep it while extending the others.
    def step(previous, state):
        (prefix,) = state
        first = prefix.shape[1] == 0
        probs = [0.3, 0.3, 0.3, 0.1, 0] if first else [0.24, 0.24, 0.24, 0.28, 0]
        return torch.tensor([probs] * len(previous)).log(), (
            torch.cat([prefix, previous[:, None]], dim=1),
        )

    state = (torch.empty(4, 0, dtype=torch.long),)
    tokens, log_prob = beam_search(step, state, torch.full((4,), BOS), 5, EOS, 4)
    assert tokens[0, 0].item() == EOS
    assert math.isclose(log_prob.exp().item(), 0.1, rel_tol=1e-5)
    # With length normalisation the longer sequence wins.
    tokens, _ = beam_search(
        step, state, torch.full((4,), BOS), 5, EOS, 4, length_penalty=1.0
    )
    assert tokens[0, 0].item() != EOS


def _step_by_count(*probs):
    """A decoder whose next-token probabilities only depend on the step.

    Step ``t`` (from 0) draws from ``probs[t]``, the last row repeating.
    """
    table = torch.tensor(probs).log()

    def step(previous, state):
        (count,) = state
        return table[count.clamp(max=len(probs) - 1)], (count + 1,)

    return step


@pytest.mark.parametrize("width", [2, 3])
def test_beam_search_returns_a_finished_hypothesis_it_passed_by(width):
    # Tokens 0 = eos, 1, 2. "eos" right away has P = .3; every longer output
    # is at most .35 * .49 * .02. After one step the live prefixes (.35 each,
    # then .35 * .49, ...) outrank "eos" for a while, but must not evict it.
    step = _step_by_count([0.3, 0.35, 0.35], [0.02, 0.49, 0.49])
    rows = 2 * width
    state = (torch.zeros(rows, dtype=torch.long),)
    start = torch.zeros(rows, dtype=torch.long)
    tokens, log_prob = beam_search(step, state, start, 6, 0, width)
    assert tokens[:, 0].tolist() == [0, 0]
    np.testing.assert_allclose(log_prob.numpy(), [math.log(0.3)] * 2, rtol=1e-6)


def test_beam_search_returns_an_unfinished_prefix_only_when_nothing_finished():
    start = torch.zeros(3, dtype=torch.long)
    state = (torch.zeros(3, dtype=torch.long),)
    never_ends = _step_by_count([0.0, 0.6, 0.4], [0.0, 0.3, 0.7])
    tokens, log_prob = beam_search(never_ends, state, start, 4, 0, 3)
    assert tokens.tolist() == [[1, 2, 2, 2]]
    np.testing.assert_allclose(log_prob.exp().numpy(), [0.6 * 0.7**3], rtol=1e-6)
    # An end at the last step, however improbable, wins over no end at all.
    late = [0.0, 0.3, 0.7]
    ends_late = _step_by_count([0.0, 0.6, 0.4], late, late, [0.01, 0.3, 0.69])
    tokens, log_prob = beam_search(ends_late, state, start, 4, 0, 3)
    assert tokens.tolist() == [[1, 2, 2, 0]]
    np.testing.assert_allclose(log_prob.exp().numpy(), [0.6 * 0.49 * 0.01], rtol=1e-6)


# ----------------------------------------------------------------------
# Learning small tasks
# ----------------------------------------------------------------------
def _reverse_task(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = ["".join(rng.choice(list("abc"), rng.randint(1, 5))) for _ in range(n)]
    return X, [s[::-1] for s in X]


FAST = dict(lr=1e-2, max_epochs=30, random_state=0)


@pytest.fixture(scope="module")
def reverser():
    X, y = _reverse_task()
    return Seq2SeqTransformer("gru", 32, attention="luong", **FAST).fit(X, y)


def test_strings_round_trip(reverser):
    X, y = _reverse_task(200, seed=1)
    pred = reverser.predict(X)
    assert pred.dtype == object and pred.shape == (200,)
    assert all(isinstance(p, str) for p in pred)
    assert reverser.score(X, y) > 0.9
    assert reverser.input_vocabulary_ == list("abc")
    assert reverser.output_vocabulary_ == list("abc")


@pytest.mark.parametrize(
    "cell, attention", [("gru", None), ("lstm", "luong"), ("gru", "bahdanau")]
)
def test_learns_reversal_with_and_without_attention(cell, attention):
    X, y = _reverse_task()
    est = Seq2SeqTransformer(cell, 32, attention=attention, **FAST).fit(X, y)
    X_test, y_test = _reverse_task(100, seed=1)
    assert est.score(X_test, y_test) > 0.75


def test_attention_beats_the_bottleneck_on_longer_inputs():
    rng = np.random.RandomState(0)
    X = ["".join(rng.choice(list("abcdef"), 7)) for _ in range(500)]
    y = [s[::-1] for s in X]
    scores = {}
    for attention in (None, "luong"):
        est = Seq2SeqTransformer(
            "gru", 32, attention=attention, lr=1e-2, max_epochs=10, random_state=0
        ).fit(X[:400], y[:400])
        scores[attention] = est.score(X[400:], y[400:])
    assert scores["luong"] > 0.5
    assert scores[None] < 0.3


def test_token_lists():
    rng = np.random.RandomState(0)
    words = ["red", "green", "blue", "cyan"]
    X = [list(rng.choice(words, rng.randint(1, 4))) for _ in range(200)]
    y = [[w.upper() for w in seq] for seq in X]
    est = Seq2SeqTransformer("gru", 32, attention="luong", **FAST).fit(X, y)
    pred = est.predict([["red", "blue"], ("cyan",)])
    assert pred.dtype == object
    assert list(pred[0]) == ["RED", "BLUE"] and list(pred[1]) == ["CYAN"]
    assert est.score(X, y) > 0.9
    assert est.input_vocabulary_ == sorted(words)


def test_integer_tokens_with_output_type():
    rng = np.random.RandomState(0)
    X = [list(rng.randint(0, 5, rng.randint(1, 4))) for _ in range(200)]
    y = [[v + 10 for v in seq] for seq in X]
    est = Seq2SeqTransformer(
        "gru", 32, attention="luong", input_type="tokens", output_type="tokens",
        **FAST,
    ).fit(X, y)  # fmt: skip
    assert est.predict([[1, 2]])[0] == [11, 12]


def test_unknown_input_tokens():
    X, y = _reverse_task()
    est = Seq2SeqTransformer("gru", 16, max_epochs=2, random_state=0).fit(X, y)
    pred = est.predict(["abz", "zz", ""])
    assert len(pred) == 3 and "z" not in est.input_vocabulary_
    assert est.transform(["abz"]).shape == (1, 16)


def test_numeric_sequences(rng):
    t = np.arange(13)
    phase = rng.uniform(0, 2 * np.pi, size=(400, 1))
    series = np.sin(0.5 * t + phase) + 0.05 * rng.normal(size=(400, 13))
    X, y = series[:, :10], series[:, 10:]
    est = Seq2SeqTransformer("gru", 32, lr=1e-2, max_epochs=30, random_state=0)
    est.fit(X[:300], y[:300])
    assert est.predict(X[300:]).shape == (100, 3)
    assert est.score(X[300:], y[300:]) > 0.8
    # Multivariate targets keep their 3-D shape; 1-D targets stay 1-D.
    est3 = Seq2SeqTransformer("gru", 8, max_epochs=2, random_state=0)
    assert est3.fit(X, np.stack([y, -y], axis=2)).predict(X[:4]).shape == (4, 3, 2)
    assert est3.fit(X, y[:, 0]).predict(X[:4]).shape == (4,)
    # max_output_length predicts further than trained.
    est3.set_params(max_output_length=5).fit(X, y)
    assert est3.predict(X[:4]).shape == (4, 5)


def test_vector_to_sequence(rng):
    # Each row (a, b) maps to the line a + b * s for s = 0..5.
    V = rng.uniform(-1, 1, size=(500, 2))
    y = V[:, :1] + V[:, 1:] * np.arange(6)
    est = Seq2SeqTransformer(
        "gru", 32, input_type="vector", lr=1e-2, max_epochs=40, random_state=0
    ).fit(V[:400], y[:400])
    assert est.predict(V[400:]).shape == (100, 6)
    assert est.score(V[400:], y[400:]) > 0.9
    assert est.transform(V[:3]).shape == (3, 32)
    # As sequences, the same 2-D array is read as univariate sequences of 2.
    seq = Seq2SeqTransformer("gru", 8, max_epochs=1, random_state=0).fit(V, y)
    assert seq._source_kind_ == "sequence" and est._source_kind_ == "vector"


def test_vector_to_string():
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven"]
    digits = np.random.RandomState(0).randint(0, 8, 200)
    V = np.eye(8)[digits]
    y = [words[d] for d in digits]
    est = Seq2SeqTransformer(
        "gru", 16, input_type="vector", lr=1e-2, max_epochs=30, random_state=0
    ).fit(V, y)
    assert list(est.predict(np.eye(8))) == words


def test_teacher_forcing_ratio_zero_feeds_own_predictions():
    X, y = _reverse_task(50)
    est = Seq2SeqTransformer(
        "gru", 16, teacher_forcing_ratio=0.0, max_epochs=1, random_state=0
    ).fit(X, y)
    module = est.module_
    ids, lengths = est._validate_sequences(X[:8], reset=False)
    target = torch.full((8, 4), 2)  # any tokens: never read with ratio 0
    other = torch.full((8, 4), 3)
    Xt = torch.from_numpy(ids)
    L = torch.from_numpy(lengths)
    module.train()
    with torch.no_grad():
        a = module(Xt, L, target)
        b = module(Xt, L, other)
        module.teacher_forcing_ratio = 1.0
        c = module(Xt, L, other)
    module.eval()
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)


def test_teacher_forcing_ratio_changes_training_and_still_learns():
    X, y = _reverse_task()
    params = dict(FAST, max_epochs=20)
    est = Seq2SeqTransformer(
        "gru", 32, attention="luong", teacher_forcing_ratio=0.5, **params
    ).fit(X[:150], y[:150])
    assert est.score(X, y) > 0.8
    full = Seq2SeqTransformer("gru", 32, attention="luong", **params)
    assert est.loss_curve_ != full.fit(X[:150], y[:150]).loss_curve_


def test_teacher_forcing_schedules_follow_their_formulas():
    linear = _TeacherForcingSchedule(0.8, "linear", 5)
    ratios = [linear.ratio_at(epoch) for epoch in range(1, 8)]
    np.testing.assert_allclose(ratios, [0.8, 0.6, 0.4, 0.2, 0, 0, 0], atol=1e-12)
    assert _TeacherForcingSchedule(0.8, "linear", 1).ratio_at(1) == 0.8
    sigmoid = _TeacherForcingSchedule(1.0, "inverse_sigmoid", 20)
    ratios = np.array([sigmoid.ratio_at(epoch) for epoch in range(1, 21)])
    assert np.all(np.diff(ratios) < 0) and ratios[0] > 0.75
    # k log k = 10: half at epoch 11 (0-based 10).
    np.testing.assert_allclose(ratios[10], 0.5, rtol=1e-9)


@pytest.mark.parametrize("schedule", ["linear", "inverse_sigmoid"])
def test_teacher_forcing_schedule_lowers_the_ratio_during_fit(schedule):
    X, y = _reverse_task(60)
    params = dict(FAST, max_epochs=4)
    seen = []
    Recording = _recording_ratios(seen)
    est = Recording("gru", 16, teacher_forcing_schedule=schedule, **params)
    est.fit(X, y)
    expected = _TeacherForcingSchedule(1.0, schedule, 4)
    np.testing.assert_allclose(seen, [expected.ratio_at(e) for e in range(1, 5)])
    constant = Seq2SeqTransformer("gru", 16, **params).fit(X, y)
    assert constant.module_.teacher_forcing_ratio == 1.0
    if schedule == "linear":
        # Epoch 1 is fully forced in both: the same loss; then they part.
        assert est.loss_curve_[0] == constant.loss_curve_[0]
    assert est.loss_curve_[1:] != constant.loss_curve_[1:]


def _recording_ratios(seen):
    """A Seq2SeqTransformer that appends each epoch's teacher forcing ratio."""

    class Recording(Seq2SeqTransformer):
        def _extra_callbacks(self):
            class Record(Callback):
                def on_epoch_end(self, net, **kwargs):
                    seen.append(net.module_.teacher_forcing_ratio)

            return [*super()._extra_callbacks(), ("record", Record())]

    return Recording


def test_warm_start_runs_the_current_schedule_again():
    X, y = _reverse_task(40)
    seen = []
    Recording = _recording_ratios(seen)

    params = dict(FAST, max_epochs=3, warm_start=True)
    est = Recording("gru", 8, teacher_forcing_schedule="linear", **params)
    est.fit(X, y)
    # A new schedule and a new number of epochs reach the warm fit.
    est.set_params(teacher_forcing_schedule="constant").fit(X, y)
    est.set_params(teacher_forcing_schedule="linear", max_epochs=5).fit(X, y)
    np.testing.assert_allclose(
        seen, [1, 0.5, 0] + [1, 1, 1] + [1, 0.75, 0.5, 0.25, 0], atol=1e-12
    )


def test_warm_fit_keeps_the_numeric_target_standardisation(rng):
    X, y = rng.normal(size=(30, 4, 1)), rng.normal(size=(30, 3, 1))
    model = Seq2SeqTransformer("gru", 8, warm_start=True, **dict(FAST, max_epochs=2))
    before = model.fit(X, y).predict(X)
    # A warm fit on targets at another level, with no real training, must
    # not move the predictions (the network's outputs are in the first
    # fit's units).
    model.set_params(lr=1e-12, max_epochs=1).fit(X, y + 100)
    np.testing.assert_allclose(model.predict(X), before, atol=1e-5)


def test_warm_start_with_a_new_ratio_continues_training():
    X, y = _reverse_task(40)
    seen = []
    Recording = _recording_ratios(seen)

    est = Recording("gru", 8, warm_start=True, **dict(FAST, max_epochs=2))
    est.fit(X, y)
    # Training continues (no restart from scratch) with the new ratio.
    est.set_params(teacher_forcing_ratio=0.5).fit(X, y)
    assert est.n_iter_ == 4 and len(est.loss_curve_) == 4
    assert seen == [1.0, 1.0, 0.5, 0.5]


def test_greedy_and_beam_agree_on_a_confident_model(reverser):
    X, y = _reverse_task(100, seed=1)
    greedy = reverser.predict(X)
    beam = reverser.set_params(decoding="beam", beam_width=3).predict(X)
    reverser.set_params(decoding="greedy")
    assert np.mean(greedy == beam) > 0.9
    one = reverser.set_params(decoding="beam", beam_width=1).predict(X)
    assert list(one) == list(greedy)
    # Length normalisation only ranks the beams differently.
    normalised = reverser.set_params(beam_width=3, length_penalty=1.0).predict(X)
    reverser.set_params(decoding="greedy", beam_width=5, length_penalty=0.0)
    assert np.mean(normalised == beam) > 0.9


def _output_log_prob(est, X, codes):
    """The model's teacher-forced log P of each output (token ids), end included."""
    from sklearn_rnn._seq2seq import _BOS, _EOS

    ids, lengths = est._validate_sequences(X, reset=False)
    target = torch.full((len(codes), max(map(len, codes)) + 1), -100)
    for row, seq in zip(target, codes):
        row[: len(seq) + 1] = torch.tensor([*seq, _EOS])
    module = est.module_.eval()
    with torch.no_grad():
        logits = module(torch.from_numpy(ids), torch.from_numpy(lengths), target)
    logits[..., _BOS] = float("-inf")  # never generated, as in decoding
    log_probs = torch.log_softmax(logits, dim=-1)
    picked = log_probs.gather(2, target.clamp(min=0)[..., None])[..., 0]
    return torch.where(target >= 0, picked, 0.0).sum(dim=1).numpy()


@pytest.mark.parametrize("attention", [None, "luong"])
def test_beam_output_is_at_least_as_probable_as_greedy(attention):
    # A barely trained model, unsure of its outputs: where beam and greedy
    # differ, the beam (length_penalty=0) must have found a more probable one.
    rng = np.random.RandomState(0)
    X = ["".join(rng.choice(list("abcdef"), rng.randint(1, 7))) for _ in range(260)]
    y = [s[::-1] for s in X]
    est = Seq2SeqTransformer(
        "gru", 16, attention=attention, lr=1e-2, max_epochs=3, random_state=0
    ).fit(X[:200], y[:200])
    greedy = est._predict_codes(X[200:])
    beam = est.set_params(decoding="beam", beam_width=4)._predict_codes(X[200:])
    assert greedy != beam
    greedy_lp = _output_log_prob(est, X[200:], greedy)
    beam_lp = _output_log_prob(est, X[200:], beam)
    assert np.all(beam_lp >= greedy_lp - 1e-5)


def test_max_output_length(reverser):
    assert reverser.max_output_length_ == 4 + 2
    X, y = _reverse_task()
    est = pickle.loads(pickle.dumps(reverser))
    assert max(len(p) for p in est.predict(X)) == 4
    # Read by predict: it applies after fit, and None restores the fitted one.
    assert max(len(p) for p in est.set_params(max_output_length=2).predict(X)) == 2
    beam = est.set_params(decoding="beam", beam_width=3).predict(X)
    assert max(len(p) for p in beam) == 2
    assert est.max_output_length_ == 6
    est.set_params(decoding="greedy", max_output_length=None)
    assert list(est.predict(X)) == list(reverser.predict(X))
    # Set in fit, it does not change the limit learnt from the targets.
    est.set_params(max_output_length=2).fit(X, y)
    assert est.max_output_length_ == 6
    assert max(len(p) for p in est.predict(X)) <= 2


def test_max_output_length_after_fit_for_numeric_targets(rng):
    X = rng.randn(20, 5)
    y = np.cumsum(rng.randn(20, 3), axis=1)
    est = Seq2SeqTransformer("gru", 8, max_epochs=2, random_state=0).fit(X, y)
    assert est.predict(X).shape == (20, 3)
    assert est.set_params(max_output_length=5).predict(X).shape == (20, 5)


def test_transform_features_and_set_output(reverser):
    pd = pytest.importorskip("pandas")
    names = reverser.get_feature_names_out()
    assert list(names[:2]) == ["seq2seqtransformer0", "seq2seqtransformer1"]
    assert len(names) == 32
    est = pickle.loads(pickle.dumps(reverser)).set_output(transform="pandas")
    out = est.transform(["ab", "ba"])
    assert isinstance(out, pd.DataFrame) and out.shape == (2, 32)


def test_early_stopping_holds_out_whole_pairs():
    X, y = _reverse_task(100)
    est = Seq2SeqTransformer(
        "gru", 8, max_epochs=3, early_stopping=True, validation_split="shuffle",
        random_state=0,
    ).fit(X, y)  # fmt: skip
    assert len(est.validation_scores_) == est.n_iter_ == 3
    assert all(np.isfinite(est.validation_scores_))


def test_bidirectional_deep_encoder():
    X, y = _reverse_task()
    est = Seq2SeqTransformer(
        "lstm", 16, num_layers=2, bidirectional=True, attention="bahdanau",
        max_epochs=2, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert est.transform(X[:3]).shape == (3, 32)
    assert len(est.predict(X[:3])) == 3


@pytest.mark.parametrize("source", ["sequence", "vector"])
def test_forget_bias_initialises_the_decoder_too(source):
    module = Seq2SeqNetwork(
        3, 5, source=source, cell="lstm", hidden_size=4, num_layers=2,
        forget_bias=5.0,
    )  # fmt: skip
    lstms = [module.decoder]
    if source == "sequence":
        lstms.append(module.encoder.rnn)
    for lstm in lstms:
        for layer in range(2):
            ih, hh = (getattr(lstm, f"bias_{k}_l{layer}") for k in ("ih", "hh"))
            torch.testing.assert_close((ih + hh)[4:8], torch.full((4,), 5.0))


# ----------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------
def test_errors_for_bad_input(reverser):
    X, y = _reverse_task(20)
    with pytest.raises(ValueError, match="requires y"):
        Seq2SeqTransformer().fit(X, None)
    with pytest.raises(TypeError, match="single str"):
        Seq2SeqTransformer().fit("abc", y)
    with pytest.raises(ValueError, match="same length"):
        Seq2SeqTransformer(max_epochs=1).fit(
            np.zeros((2, 3)), [np.zeros(2), np.zeros(3)]
        )
    with pytest.raises(ValueError, match="fitted on numeric input"):
        est = Seq2SeqTransformer("gru", 4, max_epochs=1)
        est.fit(np.zeros((4, 3)), [1.0] * 4).predict(X)
    with pytest.raises(ValueError, match="output_type='tokens'"):
        Seq2SeqTransformer(output_type="tokens").fit(X, [1.0] * 20)
    with pytest.raises(ValueError, match="samples"):
        Seq2SeqTransformer(max_epochs=1).fit(X, y[:-1])
    with pytest.raises(TypeError, match="hashable"):
        Seq2SeqTransformer(input_type="tokens", max_epochs=1).fit(
            [[[1]], [[2]]], y[:2]
        )
    with pytest.raises(ValueError, match="y has 3 samples"):
        reverser.score(X[:2], y[:3])


def test_numbers_given_to_a_model_of_string_tokens_are_refused(reverser):
    # The reverse of "fitted on numeric input": numbers would all be read as
    # the unknown token.
    numeric = [np.zeros((2, 3)), [np.ones(3), np.ones(2)], [[1, 2], [3]]]
    for X in numeric:
        for method in (reverser.predict, reverser.transform):
            with pytest.raises(ValueError, match="X holds numbers.*fitted on strings"):
                method(X)
    # Empty strings and samples with some unseen tokens are still inputs.
    assert len(reverser.predict(["", "ab"])) == 2
    assert len(reverser.predict([["a", 3]])) == 1
    # Number tokens are tokens for a model that learnt number tokens.
    ids = [[1, 2], [2, 3], [3]] * 4
    est = Seq2SeqTransformer(input_type="tokens", **{**FAST, "max_epochs": 1})
    est.fit(ids, ["x", "yy", "z"] * 4)
    assert len(est.predict(np.array([[1, 2], [3, 4]]))) == 2


def test_no_samples_or_none_give_clear_errors(reverser):
    for method in (reverser.predict, reverser.transform):
        with pytest.raises(ValueError, match="Found X with 0 samples"):
            method([])
        with pytest.raises(ValueError, match="X is None"):
            method(None)
    with pytest.raises(ValueError, match="y is None"):
        reverser.score(["ab"], None)
    with pytest.raises(ValueError, match="Found X with 0 samples"):
        Seq2SeqTransformer(input_type="tokens").fit([], [])


def test_inputs_are_not_mutated():
    X, y = _reverse_task(30)
    X_list = [list(s) for s in X]
    X_copy = [list(s) for s in X]
    Seq2SeqTransformer("gru", 8, max_epochs=1, random_state=0).fit(X_list, y)
    assert X_list == X_copy


# ----------------------------------------------------------------------
# scikit-learn integration
# ----------------------------------------------------------------------
def test_pipeline_feature_extractor_and_grid_search():
    X, y = _reverse_task(200)
    # A Pipeline step reading encoder features; the target (does the string
    # start with "a"?) is also the decoder's length-1 numeric target.
    labels = np.array([s[0] == "a" for s in X], dtype=int)
    pipe = make_pipeline(
        Seq2SeqTransformer("gru", 16, lr=1e-2, max_epochs=10, random_state=0),
        LogisticRegression(),
    )
    assert pipe.fit(X, labels).score(X, labels) > 0.9
    search = GridSearchCV(
        Seq2SeqTransformer("gru", 16, lr=1e-2, max_epochs=15, random_state=0),
        {"attention": [None, "luong"]},
        cv=2,
    ).fit(X, y)
    assert search.best_params_ == {"attention": "luong"}
    assert 0.0 <= search.best_score_ <= 1.0


def test_pickle_round_trip(reverser):
    X, _ = _reverse_task(50, seed=2)
    clone = pickle.loads(pickle.dumps(reverser))
    assert list(clone.predict(X)) == list(reverser.predict(X))
    np.testing.assert_array_equal(clone.transform(X), reverser.transform(X))


def test_a_refit_on_another_kind_of_target_keeps_no_state_of_the_first(tmp_path):
    from sklearn_rnn.persistence import load, save

    X, y = _reverse_task(20)
    numbers = np.random.RandomState(0).normal(size=(20, 3))
    est = Seq2SeqTransformer(hidden_size=4, max_epochs=1, random_state=0)
    est.fit(numbers, numbers[:, :2])
    est.fit(X, y)  # strings now: the numeric targets' statistics go
    fresh = Seq2SeqTransformer(hidden_size=4, max_epochs=1, random_state=0)
    assert set(vars(est)) == set(vars(fresh.fit(X, y)))
    save(est, tmp_path / "tokens.skrnn")
    assert list(load(tmp_path / "tokens.skrnn").predict(X)) == list(est.predict(X))
    est.fit(numbers, numbers[:, :2])  # and back
    assert "_target_is_str" not in vars(est)
    save(est, tmp_path / "numbers.skrnn")
    np.testing.assert_array_equal(
        load(tmp_path / "numbers.skrnn").predict(numbers), est.predict(numbers)
    )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"decoding": "bogus"}, "decoding"),
        ({"length_penalty": -5.0}, "length_penalty"),
        ({"decoding": "beam", "beam_width": 0}, "beam_width"),
        ({"max_output_length": 0}, "max_output_length"),
    ],
)
def test_decoding_parameters_set_after_fit_are_checked(reverser, params, match):
    X, _ = _reverse_task(5)
    est = clone_fitted(reverser).set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.predict(X)


def clone_fitted(est):
    return pickle.loads(pickle.dumps(est))


def test_tuple_tokens_of_different_lengths():
    # Hashable tokens of any kind with input_type="tokens"; read as numbers
    # they get an error that says what is wrong.
    X = [[(1, 2), (3,)], [(3,)]] * 10
    y = ["ab", "b"] * 10
    est = Seq2SeqTransformer(input_type="tokens", hidden_size=4, max_epochs=1)
    assert est.fit(X, y).input_vocabulary_ == [(1, 2), (3,)]
    with pytest.raises(ValueError, match=r"X\[0\] is not an array of numbers"):
        Seq2SeqTransformer(hidden_size=4, max_epochs=1).fit(X, y)


def test_random_state_reproducibility():
    X, y = _reverse_task(100)
    fit = lambda seed: Seq2SeqTransformer(  # noqa: E731
        "gru", 8, max_epochs=2, random_state=seed
    ).fit(X, y)
    a, b, c = fit(0), fit(0), fit(1)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert a.loss_curve_ == b.loss_curve_
    assert not np.allclose(a.transform(X), c.transform(X))
    # Fitting leaves torch's global generator alone.
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fit(0)
    torch.testing.assert_close(torch.rand(3), expected)


def test_datasets_are_consistent():
    X, y = make_addition_pairs(500, random_state=0)
    assert len(set(X)) == 500
    assert all(eval(q) == int(a) for q, a in zip(X, y))
    assert max(len(q) for q in X) <= 7
    dates, iso = make_date_pairs(300, random_state=0)
    assert all(len(d) == 10 and d[4] == d[7] == "-" for d in iso)
    with pytest.raises(ValueError, match="distinct additions"):
        make_addition_pairs(101, max_digits=1)


def test_numpy_integer_and_bool_parameters_reach_torch_as_python_types():
    # What a GridSearchCV over np.arange or a scipy distribution passes.
    i = np.int64
    words = ["ab", "bca", "c", "cab"] * 4
    s2s = Seq2SeqTransformer(
        "lstm",
        i(4),
        num_layers=i(2),
        embedding_dim=i(3),
        bidirectional=np.True_,
        batch_size=i(4),
        max_epochs=i(1),
        attention="bahdanau",
        decoding="beam",
        beam_width=i(2),
        max_output_length=i(3),
        random_state=0,
    ).fit(words, [w[::-1] for w in words])
    rnn = s2s.module_.encoder.rnn
    assert (rnn.hidden_size, rnn.num_layers, rnn.bidirectional) == (4, 2, True)
    assert s2s.module_.encoder.embedding.embedding_dim == 3
    assert len(s2s.predict(words[:3])) == 3
    X = np.random.RandomState(0).normal(size=(12, 4))
    Y = np.c_[X.sum(1), X[:, 0]]
    search = GridSearchCV(
        Seq2SeqTransformer(max_epochs=1, random_state=0),
        {"hidden_size": np.arange(2, 4)},
        cv=2,
        error_score="raise",
    ).fit(X, Y)
    assert search.best_estimator_.module_.encoder.rnn.hidden_size in (2, 3)
    # Token ids with a numpy vocabulary size.
    ids = np.random.RandomState(0).randint(0, 5, size=(12, 4))
    s2s = Seq2SeqTransformer(
        hidden_size=3, embedding_dim=i(2), vocab_size=i(6), max_epochs=1
    ).fit(ids, Y)
    assert s2s.module_.encoder.embedding.num_embeddings == 6
    assert s2s.predict(ids[:2]).shape == (2, 2)


def test_embedding_dim_set_after_fit_on_numeric_input_is_refused():
    rng = np.random.RandomState(0)
    ids = rng.randint(0, 5, size=(12, 4))
    Y = ids[:, :2].astype(float)
    kw = dict(hidden_size=3, max_epochs=1, random_state=0)
    on_ids = Seq2SeqTransformer(embedding_dim=2, **kw).fit(ids, Y)
    with pytest.raises(ValueError, match="'embedding_dim': 2.*call fit again"):
        on_ids.set_params(embedding_dim=None).predict(ids)
    with pytest.raises(ValueError, match="call fit again"):
        on_ids.transform(ids)
    on_values = Seq2SeqTransformer(**kw).fit(ids / 5, Y)
    with pytest.raises(ValueError, match="'embedding_dim': None"):
        on_values.set_params(embedding_dim=2).predict(ids / 5)
    # For strings it is the size of the embeddings, fixed in the module.
    words = ["ab", "ba", "abb"] * 4
    s2s = Seq2SeqTransformer(**kw).fit(words, words)
    pred = s2s.predict(words)
    np.testing.assert_array_equal(s2s.set_params(embedding_dim=7).predict(words), pred)
