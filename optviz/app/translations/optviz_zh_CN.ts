<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AnimationExport</name>
    <message>
        <source>Exported {name}: {frames} frames, {width}x{height}, {seconds} s at {fps} fps</source>
        <translation>已导出 {name}：{frames} 帧，{width}x{height}，{seconds} 秒，{fps} fps</translation>
    </message>
    <message>
        <source>the export process ended without saying why</source>
        <translation>导出进程结束了，但没有给出原因</translation>
    </message>
    <message>
        <source>Export cancelled; {name} was not written.</source>
        <translation>导出已取消；没有写入 {name}。</translation>
    </message>
    <message>
        <source>Exported {name}</source>
        <translation>已导出 {name}</translation>
    </message>
    <message>
        <source>the export process stopped unexpectedly ({error})</source>
        <translation>导出进程意外停止（{error}）</translation>
    </message>
    <message>
        <source>cannot start the export process: {error}</source>
        <translation>无法启动导出进程：{error}</translation>
    </message>
</context>
<context>
    <name>AnimationExportDialog</name>
    <message>
        <source>Export animation</source>
        <extracomment>Seconds a cancelled child gets to stop before it is killed. the language of the texts drawn (&quot;zh&quot;), None: the experiment&apos;s ``[render]`` one (English by default)</extracomment>
        <translation>导出动画</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Not available: {reason}</source>
        <translation>不可用：{reason}</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>Frame rate</source>
        <translation>帧率</translation>
    </message>
    <message>
        <source>Automatic (the whole run, at most 10 s)</source>
        <translation>自动（整个运行过程，最长 10 秒）</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Number of frames</source>
        <translation>帧数</translation>
    </message>
    <message>
        <source>s</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>frames</source>
        <translation>帧</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>长度</translation>
    </message>
    <message>
        <source>automatic (the whole run)</source>
        <translation>自动（整个运行过程）</translation>
    </message>
    <message>
        <source>Optimizer steps between frames; automatic spreads the frames over the whole run</source>
        <translation>相邻两帧之间的优化步数；自动：把所有帧均匀分布在整个运行过程中</translation>
    </message>
    <message>
        <source>Steps per frame</source>
        <translation>每帧步数</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>file: give a file name</source>
        <translation>文件：请给出文件名</translation>
    </message>
    <message>
        <source>{frames} frames, {seconds} s: steps {first} to {last} of {total} (the run is computed as far as it needs)</source>
        <translation>{frames} 帧，{seconds} 秒：共 {total} 步中的第 {first} 到 {last} 步（只计算到需要的步数）</translation>
    </message>
</context>
<context>
    <name>DataEditor</name>
    <message>
        <source>&lt;b&gt;{name}&lt;/b&gt; ({n} samples)</source>
        <translation>&lt;b&gt;{name}&lt;/b&gt;（{n} 个样本）</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Samples in the generated dataset (x ~ N(0, 1))</source>
        <translation>生成的数据集中的样本数（x ~ N(0, 1)）</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>label-flip probability (0 to 0.5)</source>
        <translation>标签翻转概率（0 到 0.5）</translation>
    </message>
    <message>
        <source>standard deviation of the noise added to y</source>
        <translation>加到 y 上的噪声的标准差</translation>
    </message>
    <message>
        <source>Noise</source>
        <translation>噪声</translation>
    </message>
    <message>
        <source>Seed of the generated data (not of the particles)</source>
        <translation>生成数据用的随机种子（不是粒子的）</translation>
    </message>
    <message>
        <source>Data seed</source>
        <translation>数据种子</translation>
    </message>
    <message>
        <source>the true {name} the data is generated from</source>
        <translation>生成数据所用的真实 {name}</translation>
    </message>
    <message>
        <source>true {name}</source>
        <translation>真实 {name}</translation>
    </message>
    <message>
        <source>Load CSV…</source>
        <translation>载入 CSV…</translation>
    </message>
    <message>
        <source>Two columns x, y (header optional; comma, semicolon, tab or spaces; # comments)</source>
        <translation>两列 x, y（表头可有可无；用逗号、分号、制表符或空格分隔；# 开头为注释）</translation>
    </message>
    <message>
        <source>; y must be 0 or 1</source>
        <translation>；y 必须是 0 或 1</translation>
    </message>
    <message>
        <source>Generate instead</source>
        <translation>改为生成数据</translation>
    </message>
    <message>
        <source>Back to data generated from a seed</source>
        <translation>回到由随机种子生成的数据</translation>
    </message>
    <message>
        <source>Load data (x, y)</source>
        <translation>载入数据 (x, y)</translation>
    </message>
    <message>
        <source>Data (*.csv *.txt *.tsv);;All files (*)</source>
        <translation>数据 (*.csv *.txt *.tsv);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>DataExport</name>
    <message>
        <source>Export cancelled; {name} was not written.</source>
        <extracomment>Threads whose window closed while they compiled (Numba cannot be interrupted): kept until they end, since Qt aborts the process when a running QThread is destroyed. (what is compiling, e.g. &quot;Adam on Rosenbrock&quot;, kernels done, kernels needed); done == total: ready</extracomment>
        <translation>导出已取消；没有写入 {name}。</translation>
    </message>
    <message>
        <source>Exported {name}: {frames} frames of {particles} particles (steps 0-{last})</source>
        <translation>已导出 {name}：{frames} 帧，{particles} 个粒子（第 0-{last} 步）</translation>
    </message>
</context>
<context>
    <name>ExperimentPanel</name>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Landscape</source>
        <translation>损失曲面</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Title shown above the landscape and saved with the experiment</source>
        <translation>显示在损失曲面上方的标题，随实验一起保存</translation>
    </message>
    <message>
        <source>Optimizer steps in the run (the time slider spans them)</source>
        <translation>这次运行的优化步数（时间滑块覆盖全部步数）</translation>
    </message>
    <message>
        <source>Random seed of the initial particles, mini-batches and gradient noise: same seed, same run</source>
        <translation>初始粒子、小批量和梯度噪声的随机种子：种子相同，运行结果就相同</translation>
    </message>
    <message>
        <source>Custom expression…</source>
        <translation>自定义表达式…</translation>
    </message>
    <message>
        <source>Type f(x, y) with your own parameters</source>
        <translation>输入带自定义参数的 f(x, y)</translation>
    </message>
    <message>
        <source>Data: {model}</source>
        <translation>数据：{model}</translation>
    </message>
    <message>
        <source>{formula}
parameters ({names}) fitted to data</source>
        <translation>{formula}
参数 ({names}) 拟合到数据</translation>
    </message>
    <message>
        <source>horizontal axis: {a}, vertical axis: {b}   ·   {n} samples</source>
        <translation>横轴：{a}，纵轴：{b}   ·   {n} 个样本</translation>
    </message>
    <message>
        <source>default {default}, valid range [{low}, {high}]</source>
        <translation>默认值 {default}，有效范围 [{low}, {high}]</translation>
    </message>
</context>
<context>
    <name>ExplainPanel</name>
    <message>
        <source>◀ Previous</source>
        <extracomment>Pixel size of the current sub-step&apos;s formula. Height (pixels) the dock asks for when first shown beside another dock: list, formula and values. Next update pressed: the time cursor should move one step on. The language of the sub-step texts changed (the overlay&apos;s labels follow it).</extracomment>
        <translation>◀ 上一子步</translation>
    </message>
    <message>
        <source>The previous sub-step (B)</source>
        <translation>上一个子步骤（B）</translation>
    </message>
    <message>
        <source>Next ▶</source>
        <translation>下一子步 ▶</translation>
    </message>
    <message>
        <source>The next sub-step; after the last one, the next update (N)</source>
        <translation>下一个子步骤；最后一个之后是下一次更新（N）</translation>
    </message>
    <message>
        <source>Next update »</source>
        <translation>下一次更新 »</translation>
    </message>
    <message>
        <source>Move the time cursor one step on and explain that update (U)</source>
        <translation>时间光标前进一步，并讲解那一次更新（U）</translation>
    </message>
    <message>
        <source>value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Open an experiment to explain its updates.</source>
        <translation>打开一个实验来讲解它的更新。</translation>
    </message>
    <message>
        <source>particle {index} of &lt;b&gt;{label}&lt;/b&gt;</source>
        <translation>&lt;b&gt;{label}&lt;/b&gt; 的粒子 #{index}</translation>
    </message>
    <message>
        <source>update t = {t}: θ&lt;sub&gt;{a}&lt;/sub&gt; → θ&lt;sub&gt;{b}&lt;/sub&gt; (step {a} to {b})</source>
        <translation>更新 t = {t}：θ&lt;sub&gt;{a}&lt;/sub&gt; → θ&lt;sub&gt;{b}&lt;/sub&gt;（从第 {a} 步到第 {b} 步）</translation>
    </message>
    <message>
        <source>(after the run&apos;s last step)</source>
        <translation>（在这次运行的最后一步之后）</translation>
    </message>
    <message>
        <source>Explain</source>
        <extracomment>the window&apos;s actions of explain mode, by name (the shortcuts dialog lists them)</extracomment>
        <translation>分步讲解</translation>
    </message>
    <message>
        <source>&amp;Explain an update step by step</source>
        <translation>逐步讲解一次更新(&amp;E)</translation>
    </message>
    <message>
        <source>One particle&apos;s next update, sub-step by sub-step, with arrows on the landscape</source>
        <translation>逐个子步骤讲解一个粒子的下一次更新，并在损失曲面上画出箭头</translation>
    </message>
    <message>
        <source>Explain: next sub-step</source>
        <translation>分步讲解：下一个子步骤</translation>
    </message>
    <message>
        <source>Explain: previous sub-step</source>
        <translation>分步讲解：上一个子步骤</translation>
    </message>
    <message>
        <source>Explain: next update</source>
        <translation>分步讲解：下一次更新</translation>
    </message>
</context>
<context>
    <name>ExportActions</name>
    <message>
        <source>Export figure</source>
        <extracomment>the animation export started last (an AnimationExport), and its progress dialog the data export started last (a DataExport) the progress dialog of the export running now</extracomment>
        <translation>导出图片</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>Exported {path}</source>
        <translation>已导出 {path}</translation>
    </message>
    <message>
        <source>An export is running; cancel it or wait for it to finish.</source>
        <translation>有一个导出正在进行；请取消它或等待它完成。</translation>
    </message>
    <message>
        <source>Export animation</source>
        <translation>导出动画</translation>
    </message>
    <message>
        <source>Preparing {name}…</source>
        <translation>正在准备 {name}…</translation>
    </message>
    <message>
        <source>Computing the run for {name}: step {done} of {total}</source>
        <translation>正在为 {name} 计算运行：第 {done} / {total} 步</translation>
    </message>
    <message>
        <source>Writing {name}: frame {done} of {total}</source>
        <translation>正在写入 {name}：第 {done} / {total} 帧</translation>
    </message>
    <message>
        <source>Export data</source>
        <translation>导出数据</translation>
    </message>
    <message>
        <source>NumPy archive (*.npz)</source>
        <translation>NumPy 归档 (*.npz)</translation>
    </message>
    <message>
        <source>Computing the run for {name}…</source>
        <translation>正在为 {name} 计算运行…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancelling the export…</source>
        <translation>正在取消导出…</translation>
    </message>
</context>
<context>
    <name>ExpressionEditor</name>
    <message>
        <source>Applied. Its kernels compile in the background (a few seconds per optimizer family; the status bar says which) and the particles move once they are ready.</source>
        <translation>已应用。它的计算内核在后台编译（每个优化器族几秒钟；状态栏会显示正在编译哪个），编译好后粒子开始移动。</translation>
    </message>
    <message>
        <source>e.g. (a - x)**2 + b*(y - x**2)**2</source>
        <extracomment>what the editor is doing, for a status bar: &quot;Preparing f(x, y) = …&quot;, or &quot;&quot; when done (preparation number, error or None), from the thread that prepared it</extracomment>
        <translation>例如 (a - x)**2 + b*(y - x**2)**2</translation>
    </message>
    <message>
        <source>f(x, y): + - * / ** (or ^), parentheses, numbers, pi, e and the functions
sin cos tan exp log log1p sqrt abs tanh sinh cosh arctan min(·,·) max(·,·).
Other names are parameters: declare them below. The gradient is exact (symbolic).
Enter applies.</source>
        <translation>f(x, y)：可用 + - * / **（或 ^）、括号、数字、pi、e 以及函数
sin cos tan exp log log1p sqrt abs tanh sinh cosh arctan min(·,·) max(·,·)。
其他名字都是参数：请在下面声明。梯度是精确的（符号求导）。
按 Enter 应用。</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>none, or e.g. a = 1, b = 100</source>
        <translation>无，或例如 a = 1, b = 100</translation>
    </message>
    <message>
        <source>Named parameters of the expression and their values: name = number, separated by commas</source>
        <translation>表达式中的具名参数及其取值：名字 = 数值，用逗号分隔</translation>
    </message>
    <message>
        <source>View</source>
        <translation>视图范围</translation>
    </message>
    <message>
        <source>The view of the landscape: x from, x to, y from, y to (all empty: [-3, 3] × [-3, 3])</source>
        <translation>损失曲面的显示范围：x 起点、x 终点、y 起点、y 终点（全部留空：[-3, 3] × [-3, 3]）</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Use this expression (Enter): it is prepared in the background, then the landscape is re-drawn and its kernels compile</source>
        <translation>使用这个表达式（Enter）：先在后台准备，然后重画损失曲面并编译计算内核</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>还原</translation>
    </message>
    <message>
        <source>Back to the expression in use</source>
        <translation>回到正在使用的表达式</translation>
    </message>
    <message>
        <source>Make “{name}” a parameter</source>
        <translation>把“{name}”设为参数</translation>
    </message>
    <message>
        <source>Preparing f(x, y) = {expression} (differentiating and compiling it)…</source>
        <translation>正在准备 f(x, y) = {expression}（求导并编译）…</translation>
    </message>
    <message>
        <source>type an expression in x and y</source>
        <translation>请输入关于 x 和 y 的表达式</translation>
    </message>
</context>
<context>
    <name>Fields</name>
    <message>
        <source>empty: type a number</source>
        <translation>为空：请输入一个数</translation>
    </message>
    <message>
        <source>{text} is not a number</source>
        <translation>{text} 不是数</translation>
    </message>
    <message>
        <source>{name} = {value} must be a whole number</source>
        <translation>{name} = {value} 必须是整数</translation>
    </message>
    <message>
        <source>default {value}</source>
        <translation>默认值 {value}</translation>
    </message>
</context>
<context>
    <name>FileController</name>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>Save the changes to this experiment first?</source>
        <translation>先保存对这个实验的更改吗？</translation>
    </message>
    <message>
        <source>Open experiment</source>
        <translation>打开实验</translation>
    </message>
    <message>
        <source>Experiments (*.toml)</source>
        <translation>实验文件 (*.toml)</translation>
    </message>
    <message>
        <source>Cannot open</source>
        <translation>无法打开</translation>
    </message>
    <message>
        <source>Opened {name}</source>
        <translation>已打开 {name}</translation>
    </message>
    <message>
        <source>Save experiment</source>
        <translation>保存实验</translation>
    </message>
    <message>
        <source>Cannot save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <source>Saved {name}</source>
        <translation>已保存 {name}</translation>
    </message>
</context>
<context>
    <name>GroupEditor</name>
    <message>
        <source>Optimizer</source>
        <translation>优化器</translation>
    </message>
    <message>
        <source>{name}: {meaning}
valid: {range}
default: {default}</source>
        <translation>{name}：{meaning}
有效范围：{range}
默认值：{default}</translation>
    </message>
    <message>
        <source>● changed from the default</source>
        <translation>● 已改动（不同于默认值）</translation>
    </message>
    <message>
        <source>Variant options (textbook forms)</source>
        <translation>变体选项（教科书中的形式）</translation>
    </message>
    <message>
        <source>Learning-rate schedule</source>
        <translation>学习率调度</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Each schedule&apos;s own parameters are edited in the experiment file (schedule.schedules = [...]); the milestones here.</source>
        <translation>各段调度自己的参数在实验文件中编辑（schedule.schedules = [...]）；这里只编辑切换步（milestones）。</translation>
    </message>
    <message>
        <source>{name}: {meaning}
valid: {range}</source>
        <translation>{name}：{meaning}
有效范围：{range}</translation>
    </message>
    <message>
        <source>increasing steps</source>
        <translation>递增的步数</translation>
    </message>
    <message>
        <source>e.g. 100, 300</source>
        <translation>例如 100, 300</translation>
    </message>
    <message>
        <source>milestones: write whole step numbers separated by commas</source>
        <translation>milestones：请写用逗号分隔的整数步数</translation>
    </message>
    <message>
        <source>Start (initial particles)</source>
        <translation>起点（初始粒子）</translation>
    </message>
    <message>
        <source>point: one particle; grid: a regular lattice; uniform: random in a box; normal: a Gaussian cloud.
Tip: with &apos;Place&apos; on, click the landscape for a point, drag for a cloud.</source>
        <translation>单点：一个粒子；网格：规则点阵；均匀分布：矩形内随机；正态分布：高斯粒子云。
提示：打开“放置粒子”后，在损失曲面上单击放一个点，拖动画一团粒子云。</translation>
    </message>
    <message>
        <source>start position [x, y]</source>
        <translation>起始位置 [x, y]</translation>
    </message>
    <message>
        <source>Point</source>
        <translation>起点</translation>
    </message>
    <message>
        <source>{n} listed points (edit in the file)</source>
        <translation>列出的 {n} 个点（在文件中编辑）</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>下角</translation>
    </message>
    <message>
        <source>low corner [x, y] of the box</source>
        <translation>矩形的左下角 [x, y]</translation>
    </message>
    <message>
        <source>High</source>
        <translation>上角</translation>
    </message>
    <message>
        <source>high corner [x, y] of the box</source>
        <translation>矩形的右上角 [x, y]</translation>
    </message>
    <message>
        <source>grid points along x and y</source>
        <translation>沿 x 和 y 方向的网格点数</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <source>Mean</source>
        <translation>均值</translation>
    </message>
    <message>
        <source>centre [x, y] of the cloud</source>
        <translation>粒子云的中心 [x, y]</translation>
    </message>
    <message>
        <source>Std</source>
        <translation>标准差</translation>
    </message>
    <message>
        <source>standard deviation [σx, σy]</source>
        <translation>标准差 [σx, σy]</translation>
    </message>
    <message>
        <source>Particles in this group (the app runs at most 1,000,000 for all groups together). Above 20,000 they are drawn as a density.</source>
        <translation>这一组的粒子数（所有组加起来最多 1,000,000 个）。超过 20,000 个时画成密度图。</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Update rule</source>
        <translation>更新规则</translation>
    </message>
    <message>
        <source>effective LR:</source>
        <translation>有效学习率：</translation>
    </message>
    <message>
        <source>point</source>
        <translation>单点</translation>
    </message>
    <message>
        <source>points</source>
        <translation>多个点</translation>
    </message>
    <message>
        <source>grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>uniform</source>
        <translation>均匀分布</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正态分布</translation>
    </message>
    <message>
        <source>Full batch (GD)</source>
        <translation>全批量（GD）</translation>
    </message>
    <message>
        <source>every step uses the whole dataset: the exact gradient</source>
        <translation>每步使用整个数据集：精确梯度</translation>
    </message>
    <message>
        <source>One sample (SGD)</source>
        <translation>单个样本（SGD）</translation>
    </message>
    <message>
        <source>every step uses one random sample: noisy, cheap</source>
        <translation>每步使用一个随机样本：有噪声，但计算量小</translation>
    </message>
    <message>
        <source>Mini-batch of B</source>
        <translation>B 个样本的小批量</translation>
    </message>
    <message>
        <source>every step averages B random samples</source>
        <translation>每步对 B 个随机样本取平均</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>the exact gradient</source>
        <translation>精确梯度</translation>
    </message>
    <message>
        <source>Gaussian</source>
        <translation>高斯噪声</translation>
    </message>
    <message>
        <source>adds σ·N(0, 1) to each gradient component</source>
        <translation>给梯度的每个分量加上 σ·N(0, 1)</translation>
    </message>
    <message>
        <source>Student-t (heavy tails)</source>
        <translation>Student-t（重尾）</translation>
    </message>
    <message>
        <source>adds σ·t(ν) to each gradient component: occasional large kicks; ν &gt; 2, smaller is heavier</source>
        <translation>给梯度的每个分量加上 σ·t(ν)：偶尔会有很大的扰动；ν &gt; 2，越小尾部越重</translation>
    </message>
    <message>
        <source>Batch size needs a data-backed landscape: choose Experiment → Landscape → Data: … (linear, logistic or tanh).
A formula landscape has no samples to draw; to see stochastic behaviour on it, add gradient noise below.</source>
        <translation>批量大小需要基于数据的损失曲面：选择 实验 → 损失曲面 → 数据：…（线性、逻辑或 tanh）。
公式定义的损失曲面没有样本可抽；要在上面观察随机行为，请在下面加入梯度噪声。</translation>
    </message>
    <message>
        <source>Gradient</source>
        <translation>梯度</translation>
    </message>
    <message>
        <source>Batch size: data-backed landscapes only (Landscape → Data: …). Use noise here instead.</source>
        <translation>批量大小：仅适用于基于数据的损失曲面（损失曲面 → 数据：…）。这里请改用噪声。</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批量</translation>
    </message>
    <message>
        <source>Each sample once per epoch</source>
        <translation>每轮（epoch）每个样本用一次</translation>
    </message>
    <message>
        <source>With replacement</source>
        <translation>有放回抽样</translation>
    </message>
    <message>
        <source>How a particle draws its samples: without replacement, reshuffled every epoch, or independently with replacement.
Each particle has its own seeded stream, so a cloud shows the spread batch noise causes.</source>
        <translation>粒子如何抽取样本：无放回、每轮重新打乱，或独立地有放回抽样。
每个粒子有自己的随机数流，所以一团粒子云能显示批量噪声造成的离散程度。</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>抽样方式</translation>
    </message>
    <message>
        <source>Seeded noise added to every gradient (any landscape), independent per particle</source>
        <translation>加到每个梯度上的随机噪声（适用于任何损失曲面），每个粒子相互独立</translation>
    </message>
    <message>
        <source>Noise</source>
        <translation>噪声</translation>
    </message>
    <message>
        <source>σ: the noise&apos;s scale, in gradient units (&gt; 0)</source>
        <translation>σ：噪声的尺度，以梯度为单位（&gt; 0）</translation>
    </message>
    <message>
        <source>ν: Student-t degrees of freedom (&gt; 2; smaller = heavier tails)</source>
        <translation>ν：Student-t 分布的自由度（&gt; 2；越小尾部越重）</translation>
    </message>
    <message>
        <source>samples per step, 2 to {n} (the dataset&apos;s size)</source>
        <translation>每步的样本数，2 到 {n}（数据集的大小）</translation>
    </message>
    <message>
        <source>Samples per gradient: full batch, one sample, or a mini-batch of B</source>
        <translation>每次梯度使用的样本：全批量、单个样本或 B 个样本的小批量</translation>
    </message>
    <message>
        <source>steps {first}-{last}</source>
        <translation>第 {first}-{last} 步</translation>
    </message>
    <message>
        <source>from step {first}</source>
        <translation>从第 {first} 步起</translation>
    </message>
</context>
<context>
    <name>GroupListPanel</name>
    <message>
        <source>Groups of particles. Tick to show, double-click to rename.</source>
        <translation>粒子组。勾选以显示，双击以重命名。</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Add a group with another optimizer</source>
        <translation>添加一组使用另一种优化器的粒子</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the selected group (to compare one changed hyperparameter)</source>
        <translation>复制选中的组（用来比较改动一个超参数的效果）</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Colour…</source>
        <translation>颜色…</translation>
    </message>
    <message>
        <source>Group colour</source>
        <translation>组的颜色</translation>
    </message>
    <message>
        <source>{label}: {optimizer}, 1 particle</source>
        <translation>{label}：{optimizer}，1 个粒子</translation>
    </message>
    <message>
        <source>{label}: {optimizer}, {n} particles</source>
        <translation>{label}：{optimizer}，{n} 个粒子</translation>
    </message>
</context>
<context>
    <name>Inspector</name>
    <message>
        <source>({switch} off: 1)</source>
        <translation>（{switch} 已关闭：为 1）</translation>
    </message>
    <message>
        <source>not acting yet</source>
        <translation>尚未起作用</translation>
    </message>
    <message>
        <source>position θ</source>
        <translation>位置 θ</translation>
    </message>
    <message>
        <source>loss f(θ)</source>
        <translation>损失 f(θ)</translation>
    </message>
    <message>
        <source>gradient g = ∇f</source>
        <translation>梯度 g = ∇f</translation>
    </message>
    <message>
        <source>effective LR, preconditioned</source>
        <translation>有效学习率，预条件</translation>
    </message>
    <message>
        <source>effective LR, realized |Δθ|/|g|</source>
        <translation>有效学习率，实际 |Δθ|/|g|</translation>
    </message>
    <message>
        <source>last step Δθ (1 step)</source>
        <translation>上一步 Δθ（1 步）</translation>
    </message>
    <message>
        <source>last step Δθ ({n} steps)</source>
        <translation>上一步 Δθ（{n} 步）</translation>
    </message>
    <message>
        <source>optimizer state: shown only at the live step ({step})</source>
        <translation>优化器状态：只在当前计算到的一步（{step}）显示</translation>
    </message>
    <message>
        <source>diverged at step</source>
        <translation>发散于第几步</translation>
    </message>
    <message>
        <source>optimizer state at step {step}</source>
        <translation>第 {step} 步的优化器状态</translation>
    </message>
</context>
<context>
    <name>InspectorPanel</name>
    <message>
        <source>quantity</source>
        <translation>量</translation>
    </message>
    <message>
        <source>Update rule</source>
        <translation>更新规则</translation>
    </message>
    <message>
        <source>Click a particle on the landscape to inspect it.</source>
        <translation>在损失曲面上点击一个粒子来查看它。</translation>
    </message>
    <message>
        <source>effective LR:</source>
        <translation>有效学习率：</translation>
    </message>
    <message>
        <source>&lt;b&gt;{label}&lt;/b&gt;, particle #{index} ({optimizer}) — recorded values at step {step}</source>
        <translation>&lt;b&gt;{label}&lt;/b&gt;，粒子 #{index}({optimizer})— 第 {step} 步记录的值</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Loading optviz…</source>
        <extracomment>The screen timer&apos;s interval (ms): it takes the newest snapshot, never waiting, and draws it. Ticks between updates of the frame rate and diverged count in the status bar.</extracomment>
        <translation>正在加载 optviz…</translation>
    </message>
    <message>
        <source>Playback</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>&amp;New</source>
        <translation>新建(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save &amp;As…</source>
        <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>Export &amp;Figure (PNG/SVG)…</source>
        <translation>导出图片（PNG/SVG）(&amp;F)…</translation>
    </message>
    <message>
        <source>Export &amp;Animation (MP4/GIF/WebP)…</source>
        <translation>导出动画（MP4/GIF/WebP）(&amp;A)…</translation>
    </message>
    <message>
        <source>Export &amp;Data (npz)…</source>
        <translation>导出数据（npz）(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Play / Pause</source>
        <translation>播放 / 暂停</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>单步</translation>
    </message>
    <message>
        <source>Step ×10</source>
        <translation>前进 10 步</translation>
    </message>
    <message>
        <source>Back one frame</source>
        <translation>后退一帧</translation>
    </message>
    <message>
        <source>First frame</source>
        <translation>第一帧</translation>
    </message>
    <message>
        <source>Newest frame</source>
        <translation>最新一帧</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>重置</translation>
    </message>
    <message>
        <source>Faster (×2 steps/frame)</source>
        <translation>加快（每帧步数 ×2）</translation>
    </message>
    <message>
        <source>Slower (÷2 steps/frame)</source>
        <translation>减慢（每帧步数 ÷2）</translation>
    </message>
    <message>
        <source>Fit landscape</source>
        <translation>适应损失曲面</translation>
    </message>
    <message>
        <source>Solo the selected group</source>
        <translation>只显示选中的组</translation>
    </message>
    <message>
        <source>Show only the selected group (its particles, trails and curves); again: all</source>
        <translation>只显示选中的组（它的粒子、轨迹和曲线）；再按一次：显示全部</translation>
    </message>
    <message>
        <source>Stop inspecting</source>
        <translation>停止查看粒子</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>About optviz</source>
        <translation>关于 optviz</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Presets</source>
        <translation>预设(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Language / 语言</source>
        <translation>语言 / Language(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Experiment</source>
        <translation>实验</translation>
    </message>
    <message>
        <source>Groups</source>
        <translation>粒子组</translation>
    </message>
    <message>
        <source>Group editor</source>
        <translation>组编辑器</translation>
    </message>
    <message>
        <source>Particle inspector</source>
        <translation>粒子检查器</translation>
    </message>
    <message>
        <source>optviz: watch optimizers move on 2-D loss landscapes, with the learning rate each method really applies to each parameter.</source>
        <translation>optviz：观察优化器在二维损失曲面上的运动，以及每种方法对每个参数实际使用的学习率。</translation>
    </message>
    <message>
        <source>group {index}</source>
        <translation>第 {index} 组</translation>
    </message>
    <message>
        <source>simulation stopped: {message}</source>
        <translation>模拟已停止：{message}</translation>
    </message>
    <message>
        <source>untitled</source>
        <translation>未命名</translation>
    </message>
</context>
<context>
    <name>MapPanel</name>
    <message>
        <source>converged</source>
        <extracomment>Cells per axis offered (the ``[map]`` allows 2 to 4,096). Cells per axis of the basin map shown for an experiment without a ``[map]``. Milliseconds after the last wheel turn or box zoom before the new extent is computed. When the dock first opens, the 2-D scene keeps this many pixels (its landscape and side plots stay usable at 1280 x 800) and the dock takes the rest, at least MIN_WIDTH, at most MAX_SHARE of the window. Seconds between race-statistics updates while a run plays. Significant digits of the extent shown (float64 keeps about 16). The final-loss quantiles the race table shows (indices into optviz.core.race.QUANTILES). (generation, MapResult, level index, number of levels, seconds since the request started) (generation, cells done, cells of this level) (generation, one-line message): the engine refused the request or failed Widest a group&apos;s column starts (its full label is the header&apos;s tooltip).</extracomment>
        <translation>已收敛</translation>
    </message>
    <message>
        <source>median steps to ε</source>
        <translation>到 ε 内的步数中位数</translation>
    </message>
    <message>
        <source>final loss {q}</source>
        <translation>最终损失 {q}</translation>
    </message>
    <message>
        <source>The median, over the particles that converged, of the first step from which each stayed within ε</source>
        <translation>在已收敛的粒子中，每个粒子从此一直保持在 ε 之内的第一步的中位数</translation>
    </message>
    <message>
        <source>Colour by</source>
        <extracomment>A group was added from a clicked cell: its index. the experiment whose ``.map`` is shown (the document&apos;s, or one with a generated basin map)</extracomment>
        <translation>着色依据</translation>
    </message>
    <message>
        <source>Cells</source>
        <translation>格数</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>后退</translation>
    </message>
    <message>
        <source>The extent before the last zoom</source>
        <translation>上次缩放之前的范围</translation>
    </message>
    <message>
        <source>Reset extent</source>
        <translation>重置范围</translation>
    </message>
    <message>
        <source>The whole view (basin map) or the extent the experiment opened with</source>
        <translation>整个视图（吸引盆图）或实验打开时的范围</translation>
    </message>
    <message>
        <source>Drag a rectangle or turn the wheel to zoom in (recomputed at full resolution); click a cell to run it as a new group</source>
        <translation>拖出一个矩形或转动滚轮来放大（以全分辨率重新计算）；点击一个格子，把它作为新的粒子组运行</translation>
    </message>
    <message>
        <source>&lt;b&gt;Race&lt;/b&gt; at the newest frame: within ε of a minimum, how fast, final loss</source>
        <translation>最新一帧的&lt;b&gt;竞赛&lt;/b&gt;：距极小值 ε 以内的比例、速度、最终损失</translation>
    </message>
    <message>
        <source>{label} from ({x}, {y})</source>
        <translation>{label}，起点 ({x}, {y})</translation>
    </message>
    <message>
        <source>basin reached</source>
        <translation>到达的吸引盆</translation>
    </message>
    <message>
        <source>final loss</source>
        <translation>最终损失</translation>
    </message>
    <message>
        <source>steps to ε</source>
        <translation>到 ε 内的步数</translation>
    </message>
    <message>
        <source>diverged</source>
        <translation>已发散</translation>
    </message>
    <message>
        <source>basin map of {label}</source>
        <translation>{label} 的吸引盆图</translation>
    </message>
    <message>
        <source>phase map of {label} over {x} × {y}</source>
        <translation>{label} 在 {x} × {y} 上的相图</translation>
    </message>
    <message>
        <source>No map</source>
        <translation>没有图</translation>
    </message>
    <message>
        <source> (showing {nx} × {ny})</source>
        <translation>（显示 {nx} × {ny}）</translation>
    </message>
    <message>
        <source>Computing the {what}: {nx} × {ny} cells × {steps} steps, level {level} of {levels}</source>
        <translation>正在计算{what}：{nx} × {ny} 格 × {steps} 步，第 {level} 级，共 {levels} 级</translation>
    </message>
    <message>
        <source>The {what}: {nx} × {ny} cells × {steps} steps, computed in {seconds} s</source>
        <translation>{what}：{nx} × {ny} 格 × {steps} 步，用时 {seconds} 秒</translation>
    </message>
    <message>
        <source>, log scale</source>
        <translation>，对数刻度</translation>
    </message>
    <message>
        <source>not within ε</source>
        <translation>未进入 ε 内</translation>
    </message>
    <message>
        <source>&lt;b&gt;Minimum reached&lt;/b&gt; (share of the starts); paler: more steps to come within ε = {eps}</source>
        <translation>&lt;b&gt;到达的极小值&lt;/b&gt;（占起点的比例）；颜色越浅：进入 ε = {eps} 以内所需步数越多</translation>
    </message>
    <message>
        <source>never within ε in {steps} steps</source>
        <translation>{steps} 步内从未进入 ε 以内</translation>
    </message>
    <message>
        <source>⊕ the setting of {label}: {x} = {u}, {y} = {v}</source>
        <translation>⊕ {label} 的设置：{x} = {u}，{y} = {v}</translation>
    </message>
    <message>
        <source> (the boundary lies outside this extent)</source>
        <translation>（边界在此范围之外）</translation>
    </message>
    <message>
        <source>- - analytic stability boundary: {rule}</source>
        <translation>- - 解析稳定性边界：{rule}</translation>
    </message>
    <message>
        <source>final loss − f*</source>
        <translation>最终损失 − f*</translation>
    </message>
    <message>
        <source>steps to come within ε</source>
        <translation>进入 ε 以内所需步数</translation>
    </message>
    <message>
        <source>fraction converged</source>
        <translation>收敛比例</translation>
    </message>
    <message>
        <source>fraction diverged</source>
        <translation>发散比例</translation>
    </message>
    <message>
        <source>Map</source>
        <translation>图</translation>
    </message>
    <message>
        <source>&amp;Map: basins and phase diagrams</source>
        <translation>图：吸引盆与相图(&amp;M)</translation>
    </message>
    <message>
        <source>Where every start ends (basin map) or which hyperparameters converge (phase map); zoom with a rectangle, click a cell to run it</source>
        <translation>每个起点最终到达哪里（吸引盆图），或哪些超参数会收敛（相图）；拖出矩形来缩放，点击一个格子来运行它</translation>
    </message>
</context>
<context>
    <name>Picking</name>
    <message>
        <source>“{label}” starts at ({x}, {y})</source>
        <translation>“{label}”从 ({x}, {y}) 出发</translation>
    </message>
    <message>
        <source>curvature: {error}</source>
        <translation>曲率：{error}</translation>
    </message>
</context>
<context>
    <name>StatusPanel</name>
    <message>
        <source>Numba compiles each optimizer family&apos;s kernel for a landscape the first time it is used; later launches load it from the disk cache</source>
        <extracomment>A learning rate beyond this is accepted but flagged in the status bar: particles will likely fly off.</extracomment>
        <translation>Numba 在第一次用到某个优化器族和损失曲面时编译其计算内核；之后启动时从磁盘缓存载入</translation>
    </message>
    <message>
        <source>Compiling {what} ({done} of {total})…</source>
        <extracomment>the kernels&apos; state: &quot;starting&quot;, &quot;compiling&quot;, &quot;ready&quot; or &quot;failed&quot; the message box shown last (it stays until closed)</extracomment>
        <translation>正在编译 {what}（第 {done} / {total} 个）…</translation>
    </message>
    <message>
        <source>kernels ready</source>
        <translation>内核已就绪</translation>
    </message>
    <message>
        <source>kernels failed</source>
        <translation>内核编译失败</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>{n} diverged</source>
        <translation>{n} 个发散</translation>
    </message>
    <message>
        <source>plays when compiled</source>
        <translation>编译完成后开始播放</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>{n} particles</source>
        <translation>{n} 个粒子</translation>
    </message>
    <message>
        <source>{groups} (beyond {limit}: the particles will likely fly off at once)</source>
        <translation>{groups}（超过 {limit}：粒子很可能立刻飞出去）</translation>
    </message>
</context>
<context>
    <name>TransportBar</name>
    <message>
        <source>Step</source>
        <translation>单步</translation>
    </message>
    <message>
        <source>One optimizer step (Right arrow; Shift+Right: 10 steps)</source>
        <translation>前进一个优化步（右方向键；Shift+右方向键：10 步）</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>重置</translation>
    </message>
    <message>
        <source>Back to step 0 (R)</source>
        <translation>回到第 0 步（R）</translation>
    </message>
    <message>
        <source>speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>Optimizer steps computed per drawn frame ([ slower, ] faster)</source>
        <translation>每画一帧计算的优化步数（[ 减慢，] 加快）</translation>
    </message>
    <message>
        <source>Time: click or drag to scrub through the recorded steps; every view follows (Left/Right while paused, Home/End)</source>
        <translation>时间：单击或拖动以浏览记录下来的各步；所有视图同步跟随（暂停时可用左/右方向键、Home/End）</translation>
    </message>
    <message>
        <source>step {step} / {total}</source>
        <translation>第 {step} / {total} 步</translation>
    </message>
    <message>
        <source>step/frame</source>
        <translation>步/帧</translation>
    </message>
    <message>
        <source>steps/frame</source>
        <translation>步/帧</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Pause (Space)</source>
        <translation>暂停（空格）</translation>
    </message>
    <message>
        <source>Play (Space)</source>
        <translation>播放（空格）</translation>
    </message>
    <message>
        <source>computed {step} / {total}</source>
        <translation>已计算 {step} / {total}</translation>
    </message>
    <message>
        <source>(live {step})</source>
        <translation>（当前计算到 {step}）</translation>
    </message>
</context>
<context>
    <name>TuneController</name>
    <message>
        <source>&amp;Tune the race…</source>
        <translation>公平比赛：调参(&amp;T)…</translation>
    </message>
    <message>
        <source>Sweep every group&apos;s learning rate (or another hyperparameter) on the same budget and keep each group&apos;s best</source>
        <translation>在相同的步数预算下扫描每组的学习率（或另一个超参数），每组保留最优值</translation>
    </message>
    <message>
        <source>Tuning every group…</source>
        <translation>正在为每组调参…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Tune the race</source>
        <translation>公平比赛：调参</translation>
    </message>
    <message>
        <source>Tuning cancelled; nothing changed.</source>
        <translation>调参已取消，未做任何更改。</translation>
    </message>
    <message>
        <source>Tuning failed</source>
        <translation>调参失败</translation>
    </message>
    <message>
        <source>Tuned {param} ({metric}): {choices}</source>
        <translation>已调参 {param}（{metric}）：{choices}</translation>
    </message>
</context>
<context>
    <name>TuneDialog</name>
    <message>
        <source>Tune the race</source>
        <translation>公平比赛：调参</translation>
    </message>
    <message>
        <source>Every group&apos;s hyperparameter is swept over the same candidates, on the same budget (the run&apos;s steps) from the group&apos;s own start points; each group keeps its best. The sweep is saved in the experiment&apos;s [tune] table.</source>
        <translation>每组的超参数都在相同的候选值上、以相同的预算（运行的步数）从该组自己的起点扫描；每组保留其最优值。扫描结果保存在实验的 [tune] 表中。</translation>
    </message>
    <message>
        <source>Hyperparameter</source>
        <translation>超参数</translation>
    </message>
    <message>
        <source>Lowest candidate</source>
        <translation>最小候选值</translation>
    </message>
    <message>
        <source>Highest candidate</source>
        <translation>最大候选值</translation>
    </message>
    <message>
        <source>Candidates</source>
        <translation>候选值个数</translation>
    </message>
    <message>
        <source>Spacing</source>
        <translation>间隔</translation>
    </message>
    <message>
        <source>mean log loss over the run (rewards getting low fast)</source>
        <translation>整个运行中对数损失的平均值（奖励下降得快）</translation>
    </message>
    <message>
        <source>final loss</source>
        <translation>最终损失</translation>
    </message>
    <message>
        <source>Metric</source>
        <translation>指标</translation>
    </message>
</context>
<context>
    <name>View3D</name>
    <message>
        <source>PyOpenGL cannot be loaded ({error}); install it with “pip install PyOpenGL”</source>
        <extracomment>Particles drawn at most (an even sample of every group). Particles with a trail at most. Frames per trail at most (a long trail is thinned as in the 2-D view). The camera&apos;s first direction (azimuth, elevation) in degrees: from above the front left corner. Diameter of a particle in pixels (its dark rim adds 3).</extracomment>
        <translation>无法载入 PyOpenGL（{error}）；请用“pip install PyOpenGL”安装</translation>
    </message>
    <message>
        <source>Qt&apos;s “{platform}” platform cannot create an OpenGL context</source>
        <translation>Qt 的“{platform}”平台无法创建 OpenGL 上下文</translation>
    </message>
    <message>
        <source>an OpenGL context was created but cannot be used</source>
        <translation>OpenGL 上下文已创建，但无法使用</translation>
    </message>
    <message>
        <source>OpenGL {version} is too old; the 3-D view needs 2.1 or newer</source>
        <translation>OpenGL {version} 太旧；三维视图需要 2.1 或更新的版本</translation>
    </message>
    <message>
        <source>Vertical exaggeration: at 1× the whole range of the colours spans 40 % of the landscape&apos;s width</source>
        <extracomment>the camera was rotated, zoomed or panned (else it keeps fitting the view&apos;s size) why the view cannot draw (None: it can, or it was not shown yet) the OpenGL view (None until first shown, or without OpenGL) particles drawn in the frame shown, and diverged by its step (not drawn) the step the counts line speaks of (None: no frame drawn yet) gives the problem&apos;s text again in the current language (None: the problem is not translatable)</extracomment>
        <translation>高度夸张倍数：1× 时，颜色的整个范围所占的高度是损失曲面宽度的 40 %</translation>
    </message>
    <message>
        <source>Reset camera</source>
        <translation>重置视角</translation>
    </message>
    <message>
        <source>Back to the first view: looking north, from above the front left corner</source>
        <translation>回到初始视角：从左前角上方朝北看</translation>
    </message>
    <message>
        <source>height scale</source>
        <translation>高度比例</translation>
    </message>
    <message>
        <source>&lt;b&gt;The 3-D view needs OpenGL, which is not available here&lt;/b&gt;: {problem}.&lt;br&gt;&lt;br&gt;The 2-D view and everything else work as usual. On a desktop the 3-D view works as it is; without a screen, run optviz under Xvfb (xvfb-run) with Mesa&apos;s software OpenGL, which scripts/setup.sh installs.</source>
        <translation>&lt;b&gt;三维视图需要 OpenGL，但这里没有&lt;/b&gt;：{problem}。&lt;br&gt;&lt;br&gt;二维视图和其他功能照常工作。在桌面系统上，三维视图可以直接使用；没有屏幕时，请在 Xvfb（xvfb-run）下用 Mesa 的软件 OpenGL 运行 optviz，scripts/setup.sh 会安装它。</translation>
    </message>
    <message>
        <source>{name} from {low} to {high}</source>
        <translation>{name} 从 {low} 到 {high}</translation>
    </message>
    <message>
        <source>loss {value}</source>
        <translation>损失 {value}</translation>
    </message>
    <message>
        <source>&lt;b&gt;3-D view&lt;/b&gt;</source>
        <translation>&lt;b&gt;三维视图&lt;/b&gt;</translation>
    </message>
    <message>
        <source>height and colour: log₁₀(f − f&lt;sub&gt;min&lt;/sub&gt; + d), the 2-D view&apos;s colour scale</source>
        <translation>高度和颜色：log₁₀(f − f&lt;sub&gt;min&lt;/sub&gt; + d)，与二维视图的颜色刻度相同</translation>
    </message>
    <message>
        <source>height and colour: the loss f, the 2-D view&apos;s colour scale</source>
        <translation>高度和颜色：损失 f，与二维视图的颜色刻度相同</translation>
    </message>
    <message>
        <source>drag: rotate · wheel: zoom · Ctrl+drag: pan · white: minima, saddles</source>
        <translation>拖动：旋转 · 滚轮：缩放 · Ctrl+拖动：平移 · 白点：最小值、鞍点</translation>
    </message>
    <message>
        <source>step {step}</source>
        <translation>第 {step} 步</translation>
    </message>
    <message>
        <source>showing an even sample of {shown} of {total} particles</source>
        <translation>显示 {total} 个粒子中均匀抽取的 {shown} 个</translation>
    </message>
    <message>
        <source>trails of {n} of them</source>
        <translation>其中 {n} 个画出轨迹</translation>
    </message>
    <message>
        <source>{n} diverged, not drawn</source>
        <translation>{n} 个已发散，未画出</translation>
    </message>
    <message>
        <source>3-D view</source>
        <translation>三维视图</translation>
    </message>
    <message>
        <source>The landscape as a surface with the particles on it, at the same step; drag to rotate</source>
        <translation>把损失曲面画成立体曲面，粒子画在同一步的位置上；拖动可旋转</translation>
    </message>
</context>
<context>
    <name>ViewControls</name>
    <message>
        <source>whole path</source>
        <extracomment>View &gt; Curvature at the selected particle (off at start; the window connects it to picking).</extracomment>
        <translation>整条路径</translation>
    </message>
    <message>
        <source>frames</source>
        <translation>帧</translation>
    </message>
    <message>
        <source>Trail length in recorded frames (0: none; lowest value: the whole path)</source>
        <translation>轨迹长度，以记录的帧计（0：不画；最小值：整条路径）</translation>
    </message>
    <message>
        <source>trail</source>
        <translation>轨迹</translation>
    </message>
    <message>
        <source>Place particles</source>
        <translation>放置粒子</translation>
    </message>
    <message>
        <source>On: click the landscape to start the selected group from that point, drag to draw a cloud (P)</source>
        <translation>打开后：单击损失曲面，让选中的组从该点出发；拖动则画出一团粒子云（P）</translation>
    </message>
    <message>
        <source>Place particles by clicking</source>
        <translation>单击放置粒子</translation>
    </message>
    <message>
        <source>Curvature at the selected particle</source>
        <translation>选中粒子处的曲率</translation>
    </message>
    <message>
        <source>The Hessian&apos;s eigen-directions (steep: solid) and the local quadratic model&apos;s level curve at the inspected particle</source>
        <translation>被查看粒子处 Hessian 矩阵的特征方向（陡峭方向：实线）和局部二次模型的等值线</translation>
    </message>
    <message>
        <source>Particles drawn as</source>
        <translation>粒子画法</translation>
    </message>
    <message>
        <source>Colormap</source>
        <translation>色图</translation>
    </message>
    <message>
        <source>Side plots</source>
        <translation>侧边图</translation>
    </message>
    <message>
        <source>Gradient flow (dashed ghost)</source>
        <translation>梯度流（虚线）</translation>
    </message>
    <message>
        <source>Each group&apos;s continuous path dθ/dt = −∇f from its mean start, to flow time k·lr at step k</source>
        <translation>每组从平均起点出发的连续路径 dθ/dt = −∇f，第 k 步对应流时间 k·lr</translation>
    </message>
    <message>
        <source>Click the landscape to start “{label}” from a point; drag to draw a cloud.</source>
        <translation>单击损失曲面，让“{label}”从该点出发；拖动则画出一团粒子云。</translation>
    </message>
</context>
</TS>
