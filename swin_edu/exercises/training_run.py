"""Checks for notebook 10 (a training run): reading a confusion matrix."""

from __future__ import annotations

from fractions import Fraction

import torch

from swin_edu.exercises import exercise_check, number_value, report, run_answer, whole_number


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
def check_accuracy_from_confusion(accuracy: object) -> bool:
    """Check ``accuracy(confusion)``: the share of correct predictions, from the confusion matrix alone."""
    hint = "the correct predictions are on the diagonal (true class = predicted class): their sum over the sum of all."
    for confusion in example_confusions():
        expected = sum(int(confusion[k, k]) for k in range(len(confusion))) / int(confusion.sum())
        answer, problem = run_answer(accuracy, (confusion.clone(),), "accuracy")
        if problem is not None:
            return report(False, problem, hint)
        value, problem = number_value(answer, "the accuracy")
        if problem is not None:
            return report(False, problem, hint)
        if abs(value - expected) > 1e-6:
            return report(
                False, f"for {confusion.tolist()} you return {value:.4f}, the accuracy is {expected:.4f}.", hint
            )
    return report(True)


@exercise_check
def check_lowest_recall(lowest_recall: object) -> bool:
    """Check ``lowest_recall(confusion)``: the class whose images the model gets right least often (the smallest
    share of its row on the diagonal); on a tie, the smallest class index."""
    hint = (
        "a class's recall is its diagonal entry over its row's sum (all its images); take the class with the "
        "smallest, and of equal ones the first (torch.argmin returns the first)."
    )
    for confusion in example_confusions():
        recall = recalls(confusion)
        expected = recall.index(min(recall))  # the first of equal minima
        answer, problem = run_answer(lowest_recall, (confusion.clone(),), "lowest_recall")
        if problem is not None:
            return report(False, problem, hint)
        value, problem = whole_number(answer, "the class")
        if problem is not None:
            return report(False, problem, hint)
        if value == expected:
            continue
        if not 0 <= value < len(confusion):
            return report(False, f"you return {value}, but the classes are 0 to {len(confusion) - 1}.", hint)
        if recall[value] == recall[expected]:
            return report(
                False,
                f"for {confusion.tolist()} you return {value}: its recall ties with class {expected}'s, "
                f"{recall[expected]}; on a tie the smallest class index is the answer.",
                hint,
            )
        mistakes = [int(confusion[k].sum() - confusion[k, k]) for k in range(len(confusion))]
        counted = " (the most mistakes counted, not the smallest share)" if mistakes[value] == max(mistakes) else ""
        return report(
            False,
            f"for {confusion.tolist()} you return {value}{counted}: its recall is {recall[value]}, class "
            f"{expected}'s is {recall[expected]}.",
            hint,
        )
    return report(True)
