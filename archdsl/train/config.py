"""What a `train` section and the command line may say, as pydantic models.

No torch here: `archdsl check` validates train sections with these models.
A value written as a call in a spec (`sgd(lr=0.1)`) is a model tagged by
`kind`; a bare word (`cosine`) is the same call with no arguments. Each call
names the arguments it takes by position in `positional`; the rest are
keyword-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from archdsl.ops.pydantic_model import pydantic_type
from archdsl.ops.types import Pair as OpPair

if TYPE_CHECKING:
    Pair = OpPair
else:
    # The ops' size, its markers made pydantic's (the ops check it without pydantic).
    Pair = pydantic_type(OpPair)

Fraction = Annotated[float, Field(ge=0, lt=1)]
Probability = Annotated[float, Field(ge=0, le=1)]
HeldOut = Annotated[float, Field(gt=0, lt=1)]


def _ordered(value: list[float]) -> list[float]:
    if value[0] > value[1]:
        raise ValueError("must run from low to high")
    return value


# A range of positive numbers: [low, high].
Range = Annotated[list[PositiveFloat], Field(min_length=2, max_length=2), AfterValidator(_ordered)]
# Parameters are float32: a larger rate cannot even be applied to them.
Rate = Annotated[float, Field(gt=0, le=3.4028234663852886e38)]


def _as_call(value: Any) -> Any:
    """A bare word where a call is expected is that call with no arguments."""
    return {"kind": value} if isinstance(value, str) else value


class Call(BaseModel):
    """A value written as a call; subclasses fix `kind` and declare their arguments."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    positional: ClassVar[tuple[str, ...]] = ()
    kind: str

    @classmethod
    def usage(cls, name: str) -> str:
        """`sgd(lr, momentum=0.0, ...)`: the call as a user writes it."""
        parts = []
        fields = cls.model_fields
        for field in [*cls.positional, *(f for f in fields if f not in cls.positional)]:
            info = fields[field]
            if field == "kind":
                continue
            default = info.get_default(call_default_factory=True)
            parts.append(field if info.is_required() else f"{field}={_show(default)}")
        return f"{name}({', '.join(parts)})"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _members(choice: Any) -> tuple[type[Call], ...]:
    """The calls a tagged field takes: the members of its union."""
    return get_args(get_args(choice)[0])


# A field that takes one of several calls, told apart by `kind`, a bare word allowed.
Tagged = (Discriminator("kind"), BeforeValidator(_as_call))


# ---- augmentation ---------------------------------------------------------------


class Crop(Call):
    """A random `size` window of the image zero-padded by `padding` on every side."""

    positional = ("size", "padding")
    kind: Literal["crop"] = "crop"
    size: Pair
    padding: NonNegativeInt = 0

    @model_validator(mode="after")
    def _padding_within_size(self) -> Self:
        # A wider border only adds windows that hold nothing but zeros.
        if self.padding > max(self.size):
            raise ValueError(f"`padding` {self.padding} is wider than the crop {max(self.size)}")
        return self


class Flip(Call):
    """A left-right mirror with probability `p`."""

    positional = ("p",)
    kind: Literal["flip"] = "flip"
    p: Probability = 0.5


class Cutout(Call):
    """A `size` x `size` square zeroed at a random place (DeVries & Taylor, 2017)."""

    positional = ("size",)
    kind: Literal["cutout"] = "cutout"
    size: PositiveInt


class Erase(Call):
    """Random erasing (Zhong et al., 2020): with probability `p`, a rectangle covering
    `area` of the image (a range of fractions), with width-to-height `ratio` (a range,
    drawn log-uniformly), set to 0: the mean, after normalisation."""

    positional = ("p",)
    kind: Literal["erase"] = "erase"
    p: Probability = 0.5
    area: Range = Field(default_factory=lambda: [0.02, 0.33])
    ratio: Range = Field(default_factory=lambda: [0.3, 3.3])

    @model_validator(mode="after")
    def _area_within_image(self) -> Self:
        if self.area[1] > 1:
            raise ValueError(f"`area` {self.area[1]} is more than the whole image (1)")
        return self


class Mixup(Call):
    """Each training sample blended with its neighbour in the shuffled batch, image and
    label alike, by a weight drawn from Beta(alpha, alpha) (Zhang et al., 2018); a sample
    is mixed with probability `p`."""

    positional = ("alpha",)
    kind: Literal["mixup"] = "mixup"
    alpha: PositiveFloat = 0.2
    p: Probability = 1.0


class CutMix(Call):
    """A box of the neighbour's image pasted in, the labels mixed by the box's share of
    the image, its size drawn from Beta(alpha, alpha) (Yun et al., 2019); with
    probability `p`."""

    positional = ("alpha",)
    kind: Literal["cutmix"] = "cutmix"
    alpha: PositiveFloat = 1.0
    p: Probability = 1.0


# The augmentations that mix two samples' labels: classification only.
MIXING = ("mixup", "cutmix")
Augment = Annotated[Crop | Flip | Cutout | Erase | Mixup | CutMix, *Tagged]


# ---- data -----------------------------------------------------------------------


class Data(Call):
    """What every dataset takes: normalisation and augmentation."""

    # Standardise each channel (images) or feature (tables); without `mean` and
    # `std`, with the statistics of the training split. Images are first scaled
    # to [0, 1].
    normalize: bool = True
    mean: list[float] | None = None
    std: list[PositiveFloat] | None = None
    augment: list[Augment] = Field(default_factory=list)
    # Worker processes that read a streamed dataset; none: one per core but one, at most 8.
    workers: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _stats_together(self) -> Self:
        if (self.mean is None) != (self.std is None):
            raise ValueError("give `mean` and `std` together")
        if self.mean is not None and self.std is not None and len(self.mean) != len(self.std):
            raise ValueError(f"`mean` has {len(self.mean)} values but `std` has {len(self.std)}")
        return self


class Cifar10(Data):
    """CIFAR-10's official python batches, from `path`, --data or $ARCHDSL_DATA."""

    positional = ("path",)
    kind: Literal["cifar10"] = "cifar10"
    path: str | None = None


class SplitData(Data):
    """A dataset without an official test split: `val` of it is held out, fixed once."""

    val: HeldOut = 0.2


class Digits(SplitData):
    """scikit-learn's 8x8 handwritten digits: 1,797 images, 10 classes."""

    kind: Literal["digits"] = "digits"


class BreastCancer(SplitData):
    """scikit-learn's Wisconsin breast cancer table: 569 rows, 30 features, 2 classes."""

    kind: Literal["breast_cancer"] = "breast_cancer"


class Iris(SplitData):
    """scikit-learn's iris table: 150 rows, 4 features, 3 classes."""

    kind: Literal["iris"] = "iris"


class ImageFolder(SplitData):
    """One folder of images per class (or `train/` and `val/` holding such folders)."""

    positional = ("path",)
    kind: Literal["imagefolder"] = "imagefolder"
    path: str | None = None
    # Read, decode and resize each image as its batch needs it, by `workers` processes,
    # instead of holding the whole set in memory; none: stream above 2 GiB of pixels.
    stream: bool | None = None


class Arrays(SplitData):
    """NumPy arrays: an .npz holding `x` and `y` (and `x_val`, `y_val` for a split of
    one's own), or a folder holding x.npy and y.npy (and x_val.npy, y_val.npy)."""

    positional = ("path",)
    kind: Literal["arrays"] = "arrays"
    path: str


class Csv(SplitData):
    """A table with a header row: column `target` is the label, every other a feature."""

    positional = ("path",)
    kind: Literal["csv"] = "csv"
    path: str
    target: str


class Given(SplitData):
    """Data handed to `archdsl.fit` from Python: arrays, a Dataset or a DataLoader."""

    kind: Literal["python"] = "python"
    name: str = "python"
    samples: NonNegativeInt = 0  # training samples, to refuse resuming on other data
    digest: str | None = None  # of the arrays' bytes; none for a Dataset, which is trusted


class Diabetes(SplitData):
    """scikit-learn's diabetes table: 442 rows, 10 features, a disease progression score."""

    kind: Literal["diabetes"] = "diabetes"


class Shapes(Data):
    """Generated images of discs and squares on noise, with a mask giving each pixel's
    class (0 background, 1 disc, 2 square): a segmentation set made from a fixed seed."""

    kind: Literal["shapes"] = "shapes"
    samples: PositiveInt = 1024
    val_samples: PositiveInt = 256
    size: Annotated[int, Field(ge=8, le=512)] = 32


class Synthetic(Data):
    """Random inputs of the model's shape with random labels, for smoke tests."""

    kind: Literal["synthetic"] = "synthetic"
    samples: PositiveInt = 512
    val_samples: PositiveInt = 128
    classes: Annotated[int, Field(ge=2)] | None = None  # default: what the model outputs


Dataset = Annotated[
    Cifar10
    | Digits
    | BreastCancer
    | Iris
    | Diabetes
    | ImageFolder
    | Arrays
    | Csv
    | Shapes
    | Synthetic
    | Given,
    *Tagged,
]


# ---- optimisation -----------------------------------------------------------------


class SGD(Call):
    """Stochastic gradient descent, with momentum and Nesterov's variant."""

    positional = ("lr",)
    kind: Literal["sgd"] = "sgd"
    lr: Rate
    momentum: Fraction = 0.0
    nesterov: bool = False
    weight_decay: NonNegativeFloat = 0.0

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self) -> Self:
        if self.nesterov and self.momentum == 0:
            raise ValueError("`nesterov=true` needs a `momentum` above 0")
        return self


Betas = Annotated[list[Fraction], Field(min_length=2, max_length=2)]


class Adam(Call):
    """Adam (Kingma & Ba, 2015); weight decay added to the gradient."""

    positional = ("lr",)
    kind: Literal["adam"] = "adam"
    lr: Rate = 1e-3
    betas: Betas = Field(default_factory=lambda: [0.9, 0.999])
    eps: PositiveFloat = 1e-8
    weight_decay: NonNegativeFloat = 0.0


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

    kind: Literal["adamw"] = "adamw"  # type: ignore[assignment]
    weight_decay: NonNegativeFloat = 0.01


Optimizer = Annotated[SGD | Adam | AdamW, *Tagged]


class Schedule(Call):
    """Every schedule may start with a linear warmup over `warmup` of all steps."""

    positional = ("warmup",)
    warmup: Fraction = 0.0


class Constant(Schedule):
    kind: Literal["constant"] = "constant"


class Step(Schedule):
    """Multiply the rate by `gamma` every `every` epochs, or at each epoch in `milestones`."""

    positional = ("every",)
    kind: Literal["step"] = "step"
    every: PositiveInt | None = None
    milestones: list[PositiveInt] | None = None
    gamma: Annotated[float, Field(gt=0, le=1)] = 0.1

    @model_validator(mode="after")
    def _one_rule(self) -> Self:
        if (self.every is None) == (self.milestones is None):
            raise ValueError("give either `every` or `milestones`")
        return self


class Cosine(Schedule):
    """Cosine decay from the peak rate to `final` times it (Loshchilov & Hutter, 2017)."""

    kind: Literal["cosine"] = "cosine"
    final: Probability = 0.0


class OneCycle(Schedule):
    """Linear up to the peak over `warmup` of the run, then linear down to `final` times it."""

    positional = ("warmup",)
    kind: Literal["onecycle"] = "onecycle"
    warmup: Fraction = 0.3
    final: Probability = 0.0


ScheduleChoice = Annotated[Constant | Step | Cosine | OneCycle, *Tagged]


class LossCall(Call):
    """What every loss takes: which output of a model with several it trains (`output`),
    and the weight of the loss of each other output added to it (`aux`, as
    Inception-v3 trains its auxiliary head with 0.4)."""

    output: str | None = None
    aux: Annotated[float, Field(ge=0.0)] = 0.0


class CrossEntropy(LossCall):
    """Cross-entropy against the class, with optional label smoothing."""

    positional = ("label_smoothing",)
    kind: Literal["cross_entropy"] = "cross_entropy"
    label_smoothing: Fraction = 0.0


class SquaredError(LossCall):
    """Squared error: of the output against the target (regression), or of the softmax
    against the one-hot target, summed over classes (classification)."""

    kind: Literal["mse"] = "mse"


class AbsoluteError(LossCall):
    """Mean absolute error of the output against the target (regression)."""

    kind: Literal["l1"] = "l1"


class Dice(LossCall):
    """Soft Dice loss over the classes of a [K, H, W] output (segmentation), plus
    `cross_entropy` times the per-pixel cross-entropy."""

    positional = ("cross_entropy",)
    kind: Literal["dice"] = "dice"
    cross_entropy: NonNegativeFloat = 1.0


class BinaryCrossEntropy(LossCall):
    """Binary cross-entropy: a single output telling two classes apart, or one output
    per label (multi-label)."""

    kind: Literal["bce"] = "bce"


Loss = Annotated[CrossEntropy | SquaredError | AbsoluteError | BinaryCrossEntropy | Dice, *Tagged]

# What a model learns to give: a class, numbers, a set of labels, or a class per pixel.
Task = Literal["classification", "regression", "multilabel", "segmentation"]


class Init(Call):
    """A weight initialisation scheme (the torch backend's `init`)."""

    kind: Literal["torch", "torchvision"]
    zero_init_residual: bool = False


class InitFrom(Call):
    """Weights read from a file before training: a `.safetensors` file of `archdsl weights
    import` or of a run, or a `.pth` state_dict, which must fit the model whole."""

    positional = ("path",)
    kind: Literal["from"] = "from"
    path: str


InitChoice = Annotated[Init | InitFrom, Discriminator("kind"), BeforeValidator(_as_call)]


class EarlyStop(Call):
    """End the run when the monitored metric has not improved by more than `min_delta`
    for `patience` epochs in a row: `early_stop patience(5, min_delta=0.001)`, or
    `early_stop 5`."""

    positional = ("patience",)
    kind: Literal["patience"] = "patience"
    patience: PositiveInt = 5
    min_delta: NonNegativeFloat = 0.0


def _patience(value: Any) -> Any:
    """`early_stop 5` is `early_stop patience(5)`."""
    if isinstance(value, bool) or not isinstance(value, int | str | dict):
        raise ValueError("must be a number of epochs or `patience(...)`")
    if isinstance(value, int):
        if value < 1:
            raise ValueError("must be a patience of at least 1 epoch")
        return {"kind": "patience", "patience": value}
    return _as_call(value)


# A module path as the built module names it: a label (`stem`) or a dotted path (`layer1.0`).
ModulePath = Annotated[str, Field(min_length=1)]


# More threads than any machine has cores: torch's thread pool fails past some thousands.
MAX_THREADS = 1024
# Batches summed into one step: beyond this a run would take one step in hours.
MAX_ACCUMULATE = 65536
Precision = Literal["auto", "bf16", "fp16", "fp32"]


class TrainConfig(BaseModel):
    """The effective configuration of a run: the train section, then the flags."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    data: Dataset
    epochs: PositiveInt = 10
    batch: PositiveInt = 128
    optimizer: Optimizer = Field(default_factory=Adam)
    schedule: ScheduleChoice = Field(default_factory=Constant)
    task: Task | None = None  # none: the dataset's (classification for most)
    loss: Loss | None = None  # none: chosen from the task and the output
    init: InitChoice | None = None  # none: what the torch backend does by default
    # Parts of the model that do not learn: their parameters keep their initial values
    # (from `init from(...)`) and their batch norms keep their running statistics.
    freeze: list[ModulePath] = Field(default_factory=list)
    # torch seeds its generators with 64 bits.
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    # CUDA only: bf16 autocast, channels-last images, torch.compile.
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    deterministic: bool = False
    # CPU threads per process; none: one for a small model, else the cores shared out.
    threads: Annotated[int, Field(ge=1, le=MAX_THREADS)] | None = None
    # Run control: the held-out metric that picks `best` (none: the task's first), whether
    # higher or lower is better (auto: lower for loss and mae), how many of the best
    # epochs' weights to keep, when to stop early, where else to log.
    monitor: str | None = None  # `loss` or a metric of the task's, `val_` or not
    monitor_mode: Literal["auto", "min", "max"] = "auto"
    keep_best: Annotated[int, Field(ge=1, le=1000)] = 1
    early_stop: Annotated[EarlyStop, BeforeValidator(_patience)] | None = None
    log: Literal["none", "tensorboard"] = "none"

    # ---- the optimisation step (train/stepper.py) ----
    # The gradients' global norm is scaled down to at most this; none: not clipped.
    clip: PositiveFloat | None = None
    # Batches whose gradients are summed into one optimiser step (of `batch` x this).
    accumulate: Annotated[int, Field(ge=1, le=MAX_ACCUMULATE)] = 1
    # Decay of an exponential moving average of the weights, which is evaluated and
    # exported; none: no average.
    ema: Annotated[float, Field(gt=0, lt=1)] | None = None
    # Norm weights, biases and `param` tensors take no weight decay (as timm does).
    no_decay: bool = True
    # Autocast dtype; auto: bf16 on CUDA (with `amp`), none on a CPU. fp16 adds a grad scaler.
    precision: Precision = "auto"

    @field_validator("precision")
    @classmethod
    def _autocast_on(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("amp") is False and value in ("bf16", "fp16"):
            raise ValueError(
                "needs autocast, which `amp false` turns off; "
                "drop `amp false`, or write `precision fp32`"
            )
        return value


# The fields that take a call: what they are called in messages, and the calls they take.
CHOICES: dict[str, tuple[str, dict[str, type[Call]]]] = {
    field: (noun, {cls.model_fields["kind"].default: cls for cls in classes})
    for field, noun, classes in (
        ("data", "dataset", _members(Dataset)),
        ("augment", "augmentation", _members(Augment)),
        ("optimizer", "optimizer", _members(Optimizer)),
        ("schedule", "schedule", _members(ScheduleChoice)),
        ("loss", "loss", _members(Loss)),
    )
}
CHOICES["init"] = ("init scheme", {"torch": Init, "torchvision": Init, "from": InitFrom})
CHOICES["early_stop"] = ("early stopping rule", {"patience": EarlyStop})

# Every call a train section may write, by name: how positional arguments get their names.
CALLS: dict[str, type[Call]] = {
    name: cls for _, calls in CHOICES.values() for name, cls in calls.items()
}

# Keys that change how a run executes but not what it computes: a resumed run may change them.
EXECUTION_KEYS: frozenset[str] = frozenset(
    {
        "device",
        "amp",
        "precision",
        "channels_last",
        "compile",
        "deterministic",
        "threads",
        "data.path",
        "data.workers",
        "data.stream",
        "log",
    }
)
