"""Display texts in English and Simplified Chinese: what the scene draws, and the names that the
layers below the app define (landscapes, optimizers and their hyperparameters, schedules, the
view vocabulary).

One mechanism for every text that does not come from the window's own code: a catalogue keyed
by the English text, looked up with an explicit language (:func:`localize`). It is plain Python,
so headless figures (``[render] language = "zh"``) and the window use the same words, a figure
never depends on a Qt translator installed in the process, and the lower layers stay untouched:
when one of them changes a text, the lookup falls back to the English one and
``tests/test_i18n.py`` names the entry to add. The window's own strings are Qt translations
(``optviz/app/translations``).

Terms follow the lecture notes (学习率, 动量, 梯度下降, 自适应学习率, 偏差修正, 权重衰减, 一阶矩/二阶矩,
指数加权平均) and keep their symbols (η, β, ε, m_t, v_t, m̂_t, G_t, E[g²]_t).
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "ZH", "check_language", "localize", "localize_format"]

#: The languages of the interface and of figures: code -> its own name.
LANGUAGES = {"en": "English", "zh": "简体中文"}

#: English -> Simplified Chinese. A text kept as it is (a proper name such as "Adam") is listed
#: with itself, so that a missing entry always means "not translated yet".
ZH: dict[str, str] = {
    # ---- the view vocabulary (optviz.experiment.vocabulary): View menu entries
    "Loss": "损失",
    "Converged within ε (race)": "ε 以内收敛的比例（竞速）",
    "Sharpness vs stability threshold": "锐度与稳定性阈值",
    "Effective learning rates": "有效学习率",
    "Learning-rate schedule": "学习率调度",
    "Bias correction and other step factors": "偏差修正及其他随步数变化的因子",
    "Weight decay applied per step": "每步的权重衰减",
    "Automatic (density above 20,000)": "自动（超过 20,000 个粒子时画密度图）",
    "Points": "点",
    "Density image": "密度图",
    "Hide the future": "隐藏光标之后的部分",
    "Show the future in side plots (faint)": "在侧边图中淡色显示光标之后的部分",
    # ---- the scene: step counter, legend, axes
    "step {step} / {total}": "第 {step} / {total} 步",
    "{n} diverged": "{n} 个发散",
    "diverged (last position)": "发散（最后位置）",
    "gradient flow (dθ/dt = −∇f, t = k·lr)": "梯度流（dθ/dt = −∇f，t = k·lr）",
    "global minimum": "全局最小值",
    "local minimum": "局部最小值",
    "saddle point": "鞍点",
    "group {index}": "第 {index} 组",
    # ---- side plots: titles, axis, legends
    "loss": "损失",
    "loss (median, 10–90 %)": "损失（中位数，10–90 %）",
    "{title}, log scale": "{title}，对数坐标",
    "effective LR, preconditioned   (— x,  ‐ ‐ y)": "有效学习率，预条件   (— x,  ‐ ‐ y)",
    "effective LR, realized |Δθ|/|g|   (— x,  ‐ ‐ y)": "有效学习率，实际 |Δθ|/|g|   (— x,  ‐ ‐ y)",
    "bias correction and other step factors": "偏差修正及其他随步数变化的因子",
    "weight decay: |Δθ| per step from the decay alone   (— x,  ‐ ‐ y)":
        "权重衰减：仅由衰减引起的每步 |Δθ|   (— x,  ‐ ‐ y)",
    "sharpness (median) vs stability threshold (‐ ‐)": "锐度（中位数）与稳定性阈值（‐ ‐）",
    "learning rate lr_t (schedule)": "学习率 lr_t（调度）",
    "% within ε = {eps} of a minimum's loss": "损失与最小值相差不到 ε = {eps} 的百分比",
    "% with |∇f| below ε = {eps}": "|∇f| 小于 ε = {eps} 的百分比",
    "% converged: no minima or gradient known": "已收敛的百分比：没有已知的最小值或梯度",
    "{title}; ‐ ‐ diverged": "{title}；‐ ‐ 已发散",
    "step": "步数",
    "{name}: {symbol} (off: 1)": "{name}: {symbol}（已关闭，为 1）",
    "{name}: {symbol}": "{name}: {symbol}",
    "{name}: preconditioned sharpness vs {threshold}": "{name}：预条件锐度 vs {threshold}",
    "{name}: sharpness vs {threshold}": "{name}：锐度 vs {threshold}",
    "{name}: preconditioned sharpness (no threshold)": "{name}：预条件锐度（无阈值）",
    "{name}: sharpness (no threshold)": "{name}：锐度（无阈值）",
    "{name}: {decay}": "{name}:{decay}",
    "{name}: {schedule}": "{name}: {schedule}",
    "L2, preconditioned LR·λ|θ|": "L2，预条件学习率·λ|θ|",
    "decoupled, lr·λ|θ|": "解耦，lr·λ|θ|",
    # ---- landscapes (optviz.core.landscapes, optviz.core.data)
    "Rosenbrock": "Rosenbrock 函数",
    "A long curved banana valley: easy to reach, slow to follow to the minimum at (a, a^2).":
        "一条细长弯曲的香蕉形山谷：很容易走进去，却要沿着谷底慢慢挪到最小值 (a, a^2)。",
    "x of the minimum (a, a^2)": "最小值 (a, a^2) 的 x 坐标",
    "steepness of the valley walls": "谷壁的陡峭程度",
    "Beale": "Beale 函数",
    "Flat valleys and sharp ridges that meet at corners: tests step-size adaptation over wildly varying "
    "gradient scales.": "平坦的山谷与尖锐的山脊在角落相交：考验步长在梯度量级剧烈变化时的自适应能力。",
    "Himmelblau": "Himmelblau 函数",
    "Four equal global minima: which one a particle finds depends on where it starts and on the optimizer's "
    "momentum.": "四个同样低的全局最小值：粒子落入哪一个，取决于它的起点和优化器的动量。",
    "Rastrigin": "Rastrigin 函数",
    "A bowl covered in a regular grid of local minima: gradient methods get trapped, momentum and noise help "
    "escape.": "碗形曲面上布满规则排列的局部最小值：梯度法容易被困住，动量和噪声有助于逃离。",
    "amplitude of the cosine ripples": "余弦波纹的振幅",
    "Ackley": "Ackley 函数",
    "A nearly flat, rippled outer region around one deep narrow funnel: local minima everywhere and a weak "
    "global signal.": "几乎平坦、布满波纹的外围，中间是一个又深又窄的漏斗：到处是局部最小值，全局信号很弱。",
    "depth of the central funnel": "中央漏斗的深度",
    "decay rate of the funnel": "漏斗的衰减速度",
    "angular frequency of the ripples": "波纹的角频率",
    "Booth": "Booth 函数",
    "A mildly ill-conditioned quadratic bowl (condition number 9) with its minimum at (1, 3).":
        "轻度病态的二次碗形曲面（条件数 9），最小值在 (1, 3)。",
    "Goldstein-Price": "Goldstein-Price 函数",
    "Values spanning six orders of magnitude with several local minima: raw gradient steps explode where "
    "adaptive ones cope.": "函数值跨越六个数量级，并有多个局部最小值：原始梯度步长会爆炸，自适应方法则能应付。",
    "Six-hump camel": "六峰驼背函数",
    "Two symmetric global minima and four local ones: a map of the basins of attraction of each optimizer.":
        "两个对称的全局最小值和四个局部最小值：可以画出每种优化器的吸引域。",
    "Three-hump camel": "三峰驼背函数",
    "A global minimum flanked by two shallow local minima that catch particles without momentum.":
        "全局最小值两侧各有一个浅的局部最小值，会困住没有动量的粒子。",
    "Matyas": "Matyas 函数",
    "A flat, tilted quadratic (condition number 25) whose diagonal valley makes plain gradient descent zig-zag "
    "and crawl.": "平坦、倾斜的二次函数（条件数 25）：对角方向的山谷让普通梯度下降来回震荡、缓慢爬行。",
    "Styblinski-Tang": "Styblinski-Tang 函数",
    "Four basins of different depth, one per quadrant: the global one is only slightly deeper than its "
    "neighbours.": "四个深浅不同的盆地，每个象限一个：全局最小值所在的盆地只比相邻的略深一点。",
    "Levy N.13": "Levy N.13 函数",
    "A bowl with dense ripples of unequal frequency in x and y: local minima in rows, a single global minimum "
    "at (1, 1).": "碗形曲面上有 x、y 方向频率不同的密集波纹：局部最小值成排分布，唯一的全局最小值在 (1, 1)。",
    "Saddle": "鞍面",
    "A saddle point at the origin: particles started on the x axis stall there; noise and momentum escape "
    "along y.": "原点是鞍点：从 x 轴出发的粒子会停在那里；噪声和动量能沿 y 方向逃离。",
    "Monkey saddle": "猴鞍面",
    "A degenerate saddle with three downhill valleys and a vanishing Hessian: second-order information cannot "
    "see the way out.": "退化鞍点，有三条下坡山谷且 Hessian 矩阵为零：二阶信息看不到出路。",
    "Ravine": "沟壑",
    "An ill-conditioned rotated quadratic: gradient descent zig-zags across the ravine, momentum and diagonal "
    "preconditioning differ with the angle.":
        "旋转过的病态二次函数：梯度下降在沟壑两壁之间来回震荡；动量法与对角预条件的效果随旋转角度而不同。",
    "ratio of the largest to the smallest curvature": "最大曲率与最小曲率之比",
    "rotation of the ravine, degrees": "沟壑的旋转角度（度）",
    "Plateau and cliff": "平台与悬崖",
    "A nearly flat plateau with vanishing gradient, a steep cliff and a basin: adaptive methods cross the "
    "plateau, plain gradient steps stall, then overshoot at the cliff.":
        "梯度几乎为零的平台、陡峭的悬崖和一个盆地：自适应方法能穿过平台，普通梯度步长会停滞，到悬崖处又会冲过头。",
    "height of the cliff above the basin rim": "悬崖高出盆地边缘的高度",
    "steepness of the cliff at x = 0": "悬崖在 x = 0 处的陡峭程度",
    "width of the Gaussian basin at (2, 0)": "(2, 0) 处高斯盆地的宽度",
    "Linear regression": "线性回归",
    "Least squares: a convex quadratic bowl, elongated when x is far from centred.":
        "最小二乘：凸的二次碗形曲面，x 离中心越远，碗越狭长。",
    "Logistic regression": "逻辑回归",
    "Cross-entropy: convex, flat far from the data; its minimum runs off to infinity when the classes are "
    "separable.": "交叉熵：凸函数，远离数据处很平坦；两类可分时，最小值跑到无穷远。",
    "Non-convex tanh fit": "非凸 tanh 拟合",
    "Symmetric minima at (a, b) and (-a, -b) with a saddle between them; a flat plateau along b = 0.":
        "对称的最小值 (a, b) 和 (-a, -b)，中间夹着一个鞍点；沿 b = 0 是一片平台。",
    # ---- optimizers (optviz.core.optimizers): titles, summaries, hyperparameters, state, factors
    "SGD (gradient descent)": "SGD（梯度下降）",
    "Steps against the gradient; optional momentum, Nesterov, weight decay.":
        "沿梯度的反方向更新；可选动量、Nesterov、权重衰减。",
    "learning rate (step size) before any schedule": "学习率 η（步长），即调度之前的值",
    "momentum factor μ (0 = plain gradient descent)": "动量系数 μ（0 = 普通梯度下降）",
    "dampening τ: the gradient enters the buffer with weight 1 - τ": "阻尼系数 τ：梯度以权重 1 - τ 进入动量缓冲",
    "weight decay λ: L2 penalty added to the gradient (g += λθ), or decoupled (θ *= 1 - lr·λ)":
        "权重衰减系数 λ：加到梯度上的 L2 惩罚（g += λθ），或解耦形式（θ *= 1 - lr·λ）",
    "Nesterov momentum: step along g + μb instead of b": "Nesterov 动量：沿 g + μb 而不是 b 更新",
    "how the momentum buffer starts and mixes in g: 'torch' (b₁ = g, then μb + (1-τ)g), 'ema' (b₀ = 0, "
    "μb + (1-μ)g, the lecture notes' exponential average) or 'dampened' (b₀ = 0, μb + (1-τ)g)":
        "动量缓冲的初值及与 g 的混合方式：'torch'（b₁ = g，之后 μb + (1-τ)g）、'ema'（b₀ = 0，μb + (1-μ)g，"
        "即讲义中的指数加权平均）或 'dampened'(b₀ = 0，μb + (1-τ)g)",
    "decay the weights directly (θ *= 1 - lr·λ, as AdamW) instead of adding λθ to the gradient (L2)":
        "直接衰减权重（θ *= 1 - lr·λ，与 AdamW 相同），而不是把 λθ 加到梯度上（L2）",
    "momentum buffer b: the velocity: a running sum of gradients": "动量缓冲 b：速度，梯度的累积",
    "Momentum": "动量法（Momentum）",
    "SGD with a velocity that accumulates past gradients (μ = 0.9).": "带速度项的 SGD，累积过去的梯度（μ = 0.9）。",
    "Nesterov momentum": "Nesterov 动量",
    "Momentum that looks ahead along the velocity.": "沿速度方向“向前看”的动量法。",
    "AdaGrad": "AdaGrad",
    "Per-parameter step sizes from the running sum of squared gradients.": "用梯度平方的累积和为每个参数确定步长。",
    "learning-rate decay: clr = lr / (1 + (t-1)·lr_decay)": "学习率衰减：clr = lr / (1 + (t-1)·lr_decay)",
    "starting value of the sum of squared gradients G": "梯度平方累积和 G 的初始值",
    "small constant that keeps the denominator away from zero": "防止除零的小常数",
    "where eps enters the denominator: 'outside' the square root (torch: sqrt(v) + eps) or 'inside' it "
    "(lecture notes: sqrt(v + eps))":
        "eps 在分母中的位置：平方根之外 'outside'（torch：sqrt(v) + eps）或之内 'inside'（讲义：sqrt(v + eps)）",
    "sum of squared gradients G: only grows, so the step size only shrinks":
        "梯度平方累积和 G：只增不减，所以步长只会变小",
    "RMSProp": "RMSProp",
    "Per-parameter step sizes from a running average of squared gradients.":
        "用梯度平方的指数加权平均为每个参数确定步长。",
    "smoothing constant α of the running average of g²": "g² 指数加权平均的平滑系数 α",
    "momentum factor μ applied to the normalized step": "作用于归一化步长的动量系数 μ",
    "normalize by the variance of g instead of its second moment": "用 g 的方差而不是二阶矩来归一化",
    "running mean of g² v: the scale; it forgets, unlike AdaGrad's sum":
        "g² 的指数加权平均 v（即 E[g²]_t）：尺度；与 AdaGrad 的累积和不同，它会遗忘",
    "running mean of g ḡ: centered only: v - ḡ² is the variance":
        "g 的指数加权平均 ḡ：仅 centered 时使用，v - ḡ² 是方差",
    "momentum buffer b: momentum > 0 only": "动量缓冲 b：仅当 momentum > 0",
    "Adadelta": "Adadelta",
    "Step sizes from the ratio of running RMS of updates and of gradients.":
        "步长由更新量与梯度的均方根（RMS）之比决定。",
    "decay rate ρ of both running averages": "两个指数加权平均的衰减系数 ρ",
    "running mean of g² v: the scale of the gradients": "g² 的指数加权平均 v：梯度的尺度",
    "running mean of Δ² u: the scale of the updates": "Δ² 的指数加权平均 u：更新量的尺度",
    "Adam": "Adam",
    "Momentum on the gradient, RMSProp-style scaling, bias correction.": "梯度上的动量 + RMSProp 式缩放 + 偏差修正。",
    "decay rates (β1, β2) of the running averages of the gradient and of its square":
        "梯度及其平方的指数加权平均的衰减系数 (β1, β2)",
    "AMSGrad: divide by the running maximum of v, so steps never grow back":
        "AMSGrad：除以 v 的历史最大值，步长不会重新变大",
    "divide the running averages by (1 - β^t) so early steps are not biased toward zero":
        "偏差修正：把指数加权平均除以 (1 - β^t)，使前几步不偏向 0",
    "first moment m: ingredient 1, the direction (momentum's average of g)": "一阶矩 m：成分一，方向（动量，g 的平均）",
    "second moment v: ingredient 2, the scale (RMSProp's average of g²)":
        "二阶矩 v：成分二，尺度（RMSProp，g² 的平均）",
    "running maximum of v v̄: AMSGrad divides by it instead of v": "v 的历史最大值 v̄：AMSGrad 用它代替 v 作除数",
    "bias correction of m": "m 的偏差修正",
    "bias correction of v": "v 的偏差修正",
    "AdamW": "AdamW",
    "Adam with weight decay applied to the weights, not the gradient.": "权重衰减直接作用于权重（而不是梯度）的 Adam。",
    "Adamax": "Adamax",
    "Adam with the running maximum of |g| in place of the RMS.": "用 |g| 的历史最大值代替均方根的 Adam。",
    "first moment m: the direction": "一阶矩 m：方向",
    "infinity norm u: the scale: running maximum of |g|": "无穷范数 u：尺度，|g| 的历史最大值",
    "NAdam": "NAdam",
    "Adam whose momentum looks ahead, as Nesterov's does.": "动量像 Nesterov 一样“向前看”的 Adam。",
    "momentum decay ψ of the Nesterov schedule μ_t": "Nesterov 动量调度 μ_t 的动量衰减 ψ",
    "first moment m: the direction, mixed with g by the μ schedule": "一阶矩 m：方向，按 μ 调度与 g 混合",
    "second moment v: the scale": "二阶矩 v：尺度",
    "momentum weight β₁(1 − ½·0.96^(tψ)), rising from β₁/2 toward β₁":
        "动量权重 β₁(1 − ½·0.96^(tψ))，从 β₁/2 逐渐升到 β₁",
    "RAdam": "RAdam",
    "Adam that behaves like momentum SGD until the variance estimate is reliable.":
        "在方差估计可靠之前表现得像动量 SGD 的 Adam。",
    "second moment v: the scale, used once r_t switches on": "二阶矩 v：尺度，r_t 生效后才使用",
    "rectification: absent (plain momentum step) while ρ_t ≤ 5, then rising toward 1":
        "整流项：ρ_t ≤ 5 时不起作用（普通动量步），之后逐渐升到 1",
    "Lion": "Lion",
    "Moves each parameter by ±lr along the sign of an interpolated momentum.":
        "沿插值动量的符号方向，把每个参数移动 ±lr。",
    "interpolation β₁ between momentum and gradient for the step's sign": "决定更新符号时动量与梯度之间的插值系数 β₁",
    "decay rate β₂ of the momentum": "动量的衰减系数 β₂",
    "momentum m: its sign, mixed with g, is the step's direction": "动量 m：与 g 混合后的符号就是更新方向",
    # ---- learning-rate schedules (optviz.core.schedules)
    "Constant": "恒定",
    "Step decay": "阶梯衰减",
    "steps between two decays": "两次衰减之间的步数",
    "multiplicative factor γ of each decay": "每次衰减的乘法因子 γ",
    "Multi-step decay": "多阶梯衰减",
    "steps at which the rate is multiplied by γ": "学习率乘以 γ 的那些步",
    "Exponential decay": "指数衰减",
    "multiplicative factor γ of each decay (applied every step)": "每次衰减的乘法因子 γ（每步都乘）",
    "Cosine annealing": "余弦退火",
    "steps of half a cosine period": "半个余弦周期的步数",
    "minimum learning rate": "最小学习率",
    "Linear warm-up": "线性预热",
    "factor of lr at the first step": "第一步时 lr 的倍数",
    "factor of lr after total_iters steps": "total_iters 步之后 lr 的倍数",
    "steps over which the factor moves linearly": "倍数线性变化所经历的步数",
    "1/t decay": "1/t 衰减",
    "decay rate of the 1/t schedule": "1/t 调度的衰减率",
    "steps per unit of decay": "每单位衰减的步数",
    "Polynomial decay": "多项式衰减",
    "steps until the rate reaches 0": "学习率降到 0 所需的步数",
    "power of the polynomial": "多项式的次数",
    "Cosine with warm restarts": "带热重启的余弦退火",
    "steps until the first restart": "第一次重启前的步数",
    "factor by which each period is longer than the last": "每个周期比上一个周期长的倍数",
    "One cycle (lr = peak)": "单周期（lr = 峰值）",
    "steps of the whole cycle": "整个周期的步数",
    "fraction of the cycle spent rising": "周期中上升阶段所占的比例",
    "shape of each phase": "每个阶段的形状",
    "the first rate is lr / div_factor": "起始学习率为 lr / div_factor",
    "the last rate is lr / (div_factor · final_div_factor)": "最终学习率为 lr / (div_factor · final_div_factor)",
    "back down to lr / div_factor before the final annealing": "最终退火前先降回 lr / div_factor",
    "Cyclic (lr = base)": "循环（lr = 下限）",
    "the rate at the top of each cycle": "每个周期顶部的学习率",
    "steps from lr up to max_lr": "从 lr 升到 max_lr 的步数",
    "steps from max_lr back down to lr (0: same as step_size_up)":
        "从 max_lr 降回 lr 的步数（0：与 step_size_up 相同）",
    "triangular: constant height; triangular2: halved each cycle; exp_range: scaled by gamma^k":
        "triangular：高度不变；triangular2：每个周期减半；exp_range：乘以 gamma^k",
    "exp_range: the height is scaled by gamma^k": "exp_range：高度乘以 gamma^k",
    "Sequential (chain)": "顺序组合（链）",
    "steps at which the next schedule takes over": "切换到下一个调度的那些步",
    # ---- output formats (optviz.render.writer_registry)
    "MP4 video (H.264)": "MP4 视频（H.264）",
    "GIF (loops)": "GIF（循环播放）",
    "WebP (loops)": "WebP（循环播放）",
    "PNG image": "PNG 图片",
    "SVG vector": "SVG 矢量图",
}

_CATALOGUES = {"zh": ZH}


def check_language(code) -> str:
    """``code`` if it is one of :data:`LANGUAGES`, else ValueError naming it and what is allowed."""
    if not isinstance(code, str) or code not in LANGUAGES:
        raise ValueError(f"language: {code!r} is not allowed; one of {', '.join(map(repr, LANGUAGES))}")
    return code


def localize(text: str, language: str) -> str:
    """``text`` (English, as the code writes it) in ``language``; the English text itself for
    "en" and for a text the catalogue does not have."""
    catalogue = _CATALOGUES.get(language)
    return text if catalogue is None else catalogue.get(text, text)


def localize_format(template: str, language: str, **values) -> str:
    """``localize(template).format(**values)``: a text with named placeholders ("{name}: {symbol}")."""
    return localize(template, language).format(**values)
