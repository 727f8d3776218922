"""Checks for notebook 09 (the training recipe).

Exercise 1 (predict, then check): the lowest loss label smoothing allows.
Exercise 2 (break it and watch): what a peak learning rate far too high (30 times the recipe's) does to a run.
Exercise 3 (reason it out): which parameters skip weight decay, and why.
"""

from __future__ import annotations

import math

import torch

from swin_edu.exercises import check_choice, check_number, exercise_check, report, run_answer, waiting
from swin_edu.model import SwinTransformer
from swin_edu.recipe import parameter_groups
from swin_edu.viz.training import smoothing_floor


@exercise_check
def check_smoothing_floor(answer: object) -> bool:
    """Exercise 1: the lowest cross entropy a perfect model reaches against targets smoothed by 0.1 over 10 classes
    (within 5%: a prediction)."""
    hints = [
        "the loss is lowest when the model's predicted probabilities equal the target's. What does the smoothed "
        "target ask for, for the right class and for each of the nine others?",
        "the smoothed target is 0.91 for the right class and 0.01 for each other class; a perfect model predicts "
        "exactly that, and its cross entropy is then the entropy of the target, -sum(target * log(target)).",
        "-(0.91 * ln 0.91 + 9 * 0.01 * ln 0.01) = 0.0858 + 0.4145, about 0.50.",
    ]
    mistakes = {
        0.0: "that is the floor of one-hot targets. With smoothing, pushing the right logit higher forever would "
        "make the nine small targets of 0.01 ever more wrong.",
        -math.log(0.91): "only the right class's term, -0.91 * ln(p) at p = 0.91 counted as -ln 0.91; each of the "
        "nine other classes also asks for 0.01 and adds its own term.",
        0.1: "that is the smoothing, the share of the target spread over the classes, not a loss.",
        math.log(10): "that is ln 10, the loss of a uniform guess (1/10 for every class); a model can do better than "
        "that by giving the right class more.",
        -(0.9 * math.log(0.9) + 0.1 * math.log(0.1 / 9)): "that spreads the 0.1 over the nine other classes only "
        "(0.9 and 0.1/9); PyTorch's label_smoothing spreads it over all 10, the right class included (0.91 and 0.01).",
        -9 * 0.01 * math.log(0.01): "only the nine other classes' terms; the right class's target of 0.91 adds its "
        "own, -0.91 * ln 0.91.",
        smoothing_floor(0.1, 10) / math.log(2): "that is the right entropy in bits (log base 2); the loss is in nats, "
        "natural logarithms.",
    }
    return check_number(
        answer,
        smoothing_floor(0.1, 10),
        hints,
        "the lowest loss",
        rel_tol=0.05,
        mistakes=mistakes,
        praise="the loss cannot go below the entropy of the smoothed target, about 0.50 nats for 10 classes: a "
        "training loss that flattens near it has nothing left to gain on the training images.",
    )


LEARNING_RATE_OPTIONS = {
    "a": "",
    "b": "reads a stopped run as a slow one. Its loss was flat near 2.3 over the whole second half, while the "
    "cosine schedule was lowering its learning rate: it is not learning slowly, it is not learning at all.",
    "c": "does not match the page: every loss the cell printed and drew is a finite number.",
    "d": "blames label smoothing, but its floor, the entropy of the smoothed target, is about 0.5 for 10 classes "
    "whatever the learning rate, and the recipe's run went far below 2.3 with the same smoothing.",
}


@exercise_check
def check_learning_rate_too_high(answer: object) -> bool:
    """Exercise 2: what the run with a peak learning rate 30 times the recipe's shows (a letter)."""
    hints = [
        "compare the value the broken run settles at with ln 10 = 2.30, and look at how many different classes "
        "it predicts.",
        "a model that gives every class 1/10, whatever the image, scores a loss of exactly ln 10 and an accuracy of "
        "10% when the classes are balanced. Is that what the broken run does, and does it get out of it?",
        "the first large steps threw the weights into a state where the model predicts the same for every image: "
        "loss ln 10, accuracy at chance, and the smaller steps of the cosine's end do not bring it back. Choose "
        "the option that says so.",
    ]
    praise = (
        "too large steps early on wrecked the model: it ends predicting about the same for every image (loss "
        "ln 10, chance accuracy). A loss stuck at ln K with chance accuracy is the mark of a model that stopped "
        "telling the classes apart; a learning rate far too high is one way to get there."
    )
    return check_choice(answer, "a", LEARNING_RATE_OPTIONS, hints, praise)


def small_swin() -> SwinTransformer:
    """A small Swin with every kind of parameter: embedding, norms, projections, biases, bias tables.

    Its weights come from seed 0 without touching the caller's random state (``torch.random.fork_rng``).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return SwinTransformer(
            embed_dim=12, depths=(2, 2), num_heads=(1, 2), window_size=4, img_size=32, num_classes=10
        )


def kind_of_parameter(name: str, ndim: int) -> str:
    """What a parameter of ``small_swin`` is, in words, to name a wrong choice."""
    if name.endswith("relative_position_bias_table"):
        return "a relative position bias table (a matrix, but not a projection)"
    if name.endswith(".bias"):
        return "a bias"
    if ndim == 1:
        return "a norm's gain (a vector)"
    return "a weight matrix of a projection or a convolution"


@exercise_check
def check_no_decay(function: object) -> bool:
    """Exercise 3: ``function(name, parameter) -> bool``, True for the parameters that get no weight decay.

    The first parameter it gets wrong is named with its kind (a norm's gain, a bias, a bias table, a weight), and a
    function that exempts everything or nothing is told so.
    """
    hints = [
        "weight decay pulls a parameter towards zero at every step. For each kind of parameter (a projection's "
        "weight, a LayerNorm's gain, a bias, a relative position bias table): what would zero mean for it?",
        "norm gains and all biases are vectors (ndim 1); the relative position bias tables are matrices, "
        "((2M-1)^2, heads), that store where each head looks, not how it mixes inputs.",
        "return parameter.ndim <= 1 or name.endswith('relative_position_bias_table').",
    ]
    model = small_swin()
    _, no_decay = parameter_groups(model, 0.05)
    exempt = {id(parameter) for parameter in no_decay["params"]}
    parameters = list(model.named_parameters())
    wrong = []
    for index, (name, parameter) in enumerate(parameters):
        answer, problem = run_answer(function, (name, parameter), "your function")
        if problem is not None:
            return report(False, problem, hints)
        if answer is None and index == 0:  # the template's `return None`
            return waiting("what your function returns")
        if not isinstance(answer, bool):
            return report(False, f"your function returned {answer!r} for {name}; return True or False.", hints)
        if answer != (id(parameter) in exempt):
            wrong.append((name, parameter, answer))
    if not wrong:
        return report(
            True,
            praise="vectors (norm gains, biases) and the bias tables are left alone; weight decay only pulls the "
            "projection and convolution weights towards zero, as the official set_weight_decay does.",
        )
    if len(wrong) == len(parameters):
        return report(False, "every parameter is on the wrong side: True means *no* weight decay.", hints)
    name, parameter, answer = wrong[0]
    should = "should get weight decay" if answer else "should skip weight decay"
    kinds = "; ".join(sorted({kind_of_parameter(n, p.ndim) for n, p, _ in wrong}))
    return report(
        False,
        f"{name} (shape {tuple(parameter.shape)}) {should}: it is {kind_of_parameter(name, parameter.ndim)}. "
        f"{len(wrong)} of {len(parameters)} parameters are on the wrong side, of these kinds: {kinds}.",
        hints,
    )
