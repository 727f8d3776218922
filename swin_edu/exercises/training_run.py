"""Checks for notebook 10 (a training run).

Exercise 1 (reason it out): the class the model reads worst, from a confusion matrix.
Exercise 2 (break it and watch): what evaluating with stochastic depth on (train mode) does to the accuracy.
Exercise 3 (predict, then check): the accuracy against shuffled labels.
"""

from __future__ import annotations

from fractions import Fraction

import torch

from swin_edu.exercises import (
    check_choice,
    check_number,
    exercise_check,
    number_value,
    report,
    run_answer,
    waiting,
    whole_number,
)


def example_confusions() -> list[torch.Tensor]:
    """Confusion matrices (rows: true class, columns: prediction) worked out by hand, and one random one."""
    perfect = torch.diag(torch.tensor([5, 3, 2]))  # every recall 1: a three-way tie, so the answer is class 0
    one_mistake = torch.tensor([[4, 1, 0], [0, 3, 0], [0, 0, 2]])  # one 0 taken for a 1: accuracy 9/10
    asymmetric = torch.tensor([[7, 0, 0], [0, 5, 4], [1, 0, 3]])  # 1 -> 2 four times, 2 -> 0 once: 15/20
    rare_class = torch.tensor([[18, 2, 0], [0, 9, 0], [0, 1, 3]])  # class 0 has the most mistakes (2 of 20, recall
    # 0.9), class 2 the lowest recall (1 of 4 wrong, 0.75)
    tie_after_zero = torch.tensor([[10, 0, 0], [1, 3, 0], [0, 2, 6]])  # classes 1 and 2 tie at recall 0.75: class 1
    generator = torch.Generator().manual_seed(0)
    random = torch.randint(0, 9, (10, 10), generator=generator) + torch.diag(
        torch.randint(20, 40, (10,), generator=generator)
    )
    return [perfect, one_mistake, asymmetric, rare_class, tie_after_zero, random]


def recalls(confusion: torch.Tensor) -> list[Fraction]:
    """Each class's recall, exactly: the share of its images (its row) on the diagonal. Every row must hold one."""
    return [Fraction(int(confusion[k, k]), int(confusion[k].sum())) for k in range(len(confusion))]


@exercise_check
def check_lowest_recall(lowest_recall: object) -> bool:
    """Exercise 1: ``lowest_recall(confusion)``, the class whose images the model gets right least often (the
    smallest share of its row on the diagonal); on a tie, the smallest class index."""
    hints = [
        "each row of the matrix holds every image of one true class. What share of a class's images does the model "
        "get right, and which class has the smallest share?",
        "a class's recall is its diagonal entry over its row's sum; compare shares, not counts of mistakes (a class "
        "with many images can make the most mistakes and still have the highest share right).",
        "recall = confusion.diag() / confusion.sum(dim=1), then int(recall.argmin()): argmin returns the first, so "
        "the smallest class index, of equal minima.",
    ]
    for index, confusion in enumerate(example_confusions()):
        recall = recalls(confusion)
        expected = recall.index(min(recall))  # the first of equal minima
        answer, problem = run_answer(lowest_recall, (confusion.clone(),), "lowest_recall")
        if problem is not None:
            return report(False, problem, hints)
        if answer is None and index == 0:  # the template's `return None`
            return waiting("what lowest_recall returns")
        value, problem = whole_number(answer, "the class")
        if problem is not None:
            return report(False, problem, hints)
        if value == expected:
            continue
        if not 0 <= value < len(confusion):
            return report(False, f"you return {value}, but the classes are 0 to {len(confusion) - 1}.", hints)
        if recall[value] == recall[expected]:
            return report(
                False,
                f"for {confusion.tolist()} you return {value}: its recall ties with class {expected}'s, "
                f"{recall[expected]}; on a tie the smallest class index is the answer.",
                hints,
            )
        mistakes = [int(confusion[k].sum() - confusion[k, k]) for k in range(len(confusion))]
        precision = [Fraction(int(confusion[k, k]), max(int(confusion[:, k].sum()), 1)) for k in range(len(confusion))]
        if mistakes[value] == max(mistakes):
            why = " (the most mistakes counted, not the smallest share)"
        elif precision[value] == min(precision):
            why = " (a column read, the share of its predictions that are right: that is precision, not recall)"
        else:
            why = ""
        return report(
            False,
            f"for {confusion.tolist()} you return {value}{why}: its recall is {recall[value]}, class "
            f"{expected}'s is {recall[expected]}.",
            hints,
        )
    return report(
        True,
        praise="recall is a share of the row, so classes of different sizes compare fairly; the counts of mistakes "
        "would favour the small classes.",
    )


TRAIN_MODE_OPTIONS = {
    "a": "says the weights changed, but nothing updated them: no gradient was computed and no optimizer stepped. "
    "model.train() only switches what some modules do in the forward pass.",
    "b": "",
    "c": "blames LayerNorm, but LayerNorm normalises each token over its own channels, the same way in both modes; "
    "normalising with the batch's statistics is BatchNorm's, which Swin does not use.",
    "d": "reads the shuffle of the data loader into it, but the validation loader does not shuffle, and the order of "
    "the images cannot change a prediction: each image is classified on its own.",
}


@exercise_check
def check_train_mode_evaluation(answer: object) -> bool:
    """Exercise 2: why the accuracy drops, and differs from pass to pass, when the model is evaluated in train mode
    with stochastic depth on (a letter)."""
    hints = [
        "two passes over the same images with the same weights gave different predictions: something in the forward "
        "pass is random. What in a Swin block draws random numbers, and when?",
        "the cell set every block's drop_path.drop_prob. In train mode DropPath skips each of a block's two residual "
        "branches (attention, MLP) for a random share of the images, anew on every call; in eval mode it does nothing.",
        "in train mode each pass runs a different, randomly thinned network (stochastic depth), so the accuracy "
        "drops and changes from pass to pass; eval mode switches it off. Choose the option that says so.",
    ]
    praise = (
        "stochastic depth drops whole residual branches at random in train mode, so each pass is a different, "
        "shallower network. Evaluate in eval mode (evaluate() does it for you, with swin_edu.model.eval_mode)."
    )
    return check_choice(answer, "b", TRAIN_MODE_OPTIONS, hints, praise)


@exercise_check
def check_shuffled_accuracy(answer: object, num_classes: int = 10) -> bool:
    """Exercise 3: the accuracy of a trained model against shuffled labels of ``num_classes`` balanced classes
    (about 1 / num_classes: within 30%, a prediction)."""
    hints = [
        "the model and its predictions are exactly as before; only the labels they are compared with were "
        "shuffled. How often does a label drawn at random match a prediction?",
        f"a shuffled label is a random draw from all the labels, and the {num_classes} classes are about equally "
        "common: whatever the model predicts for an image, how likely is the random label to be that class?",
        f"a match by chance: 1 / {num_classes} = {1 / num_classes:g}, whatever the model.",
    ]
    if answer is None:
        return waiting()
    value, problem = number_value(answer, "the accuracy")
    if problem is None and value > 1:
        problem = f"the accuracy is {value}: write it as a share between 0 and 1 (50% is 0.5)."
    elif problem is None and value > 0.5:
        problem = (
            f"the accuracy is {value}: about the model's own accuracy, but the model knows nothing of the shuffle; "
            "its predictions are scored against labels that no longer belong to the images."
        )
    if problem is not None:
        return report(False, problem, hints)
    mistakes = {
        0.0: "a shuffled label still lands on a label of the image's own class now and then, and the model, right on "
        "nearly every image, scores there.",
    }
    return check_number(
        value,
        1 / num_classes,
        hints,
        "the accuracy",
        rel_tol=0.3,
        mistakes=mistakes,
        praise=f"chance, 1 / {num_classes}: a random label matches any fixed prediction about that often. An accuracy "
        "near chance on real labels says the model learned nothing; here it says the labels are broken.",
    )
