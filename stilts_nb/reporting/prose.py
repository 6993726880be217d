"""Fixed text a report shows: what each profile is, in words."""
from __future__ import annotations

NOTES = {
    "smoke": "**Smoke profile.** A tiny *random* model on a few dozen examples: this report checks "
             "that the pipeline runs end to end. Its numbers mean nothing.",
    "demo": "**Demo profile: what it is and is not.** It runs offline on 2 CPU cores (about an hour "
            "with native bf16; docs/demo-design.md): the encoder is all-MiniLM-L6-v2 (not RoBERTa-large), the fakes come from SmolLM2-135M (not "
            "GPT2-medium), and data and grid are scaled down (see parameters/demo/). MiniLM was itself "
            "trained for sentence embeddings on NLI, QA (SQuAD among them) and WikiHow data, so its "
            "*None* is not a vanilla pretrained model, and its training text overlaps the Wikipedia "
            "source of Synthesis. HellaSwag is not available offline: SocialIQA, a real multiple-choice "
            "reasoning task whose premise can be removed, stands in for it (SocialIQA-p for HellaSwag-p, "
            "SocialIQA-sh for Hella-sh), and every table and finding labels it as a stand-in. Two targets, "
            "chosen by pilots (docs/demo-design.md): a 1,500-example subset of WiC, which this encoder "
            "learns above its floor, and a 1,000-example subset of CoLA, where None's runs collapse, "
            "so that an intermediate could rescue them. Each intermediate task is trained with 6 "
            "seeds in 01 (3 in 02-04), and the checkpoint is the unit every test counts. The demo is a small study at its own scale; "
            "it does not claim to reproduce the paper's numbers.",
    "paper": "**Paper profile.** RoBERTa-large, the full 36-configuration grid, full data.",
    "paper-rehearsal": "**REHEARSAL of the paper profile. These numbers mean nothing.** Every target, "
                       "intermediate, table and figure of the paper profile, at toy scale: tiny "
                       "random RoBERTa and GPT-2 models (tiny:roberta, tiny:gpt2), random-word data "
                       "files in each official format, one epoch, a few grid points, 32 dev examples "
                       "(parameters/paper-rehearsal.yaml). It proves the paper's path runs, nothing else.",
}


def profile_note(profile: str):
    from IPython.display import Markdown

    return Markdown(NOTES.get(profile, f"profile {profile}"))


def parameters(profile: str, notebook: str, values: dict, sweep: dict | None = None):
    """The values this report ran on, as the YAML a reader can copy into parameters/, and what
    the pipeline changes in them for some runs (the keep_head rule, sweeps/plan.py)."""
    import yaml
    from IPython.display import Markdown

    from ..sweeps.plan import KEEP_HEAD_RULE
    from ..hardware import kernel_family

    text = yaml.dump(values, Dumper=_settings_dumper(), sort_keys=False, default_flow_style=None, width=100).strip()
    rule = f"\n\nNot as written for every run: {KEEP_HEAD_RULE}." if (sweep or {}).get("keep_head") else ""
    # bf16 results depend on the kernels that computed them (docs/training.md, "Which numbers
    # repeat"), so a report says where it ran; runs read from a store carry their own kernel
    return Markdown(f"Parameters (`parameters/{profile}/{notebook}.yaml` and overrides):\n\n```yaml\n{text}\n```"
                    f"{rule}\n\nExecuted on: **{kernel_family()}** matrix kernels.")


def _settings_dumper():
    """A YAML dumper that writes a small float as the parameters files do (1.0e-4, 5.0e-5; PyYAML
    writes 0.0001 and 5.0e-05), still a float when the YAML is read back."""
    import yaml

    from ..wording import setting

    class Dumper(yaml.SafeDumper):
        pass

    def small_float(dumper, value):
        text = setting(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            # PyYAML reads 1e-4 (no dot) back as a string: the mantissa keeps its dot
            text = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent}"
            return dumper.represent_scalar("tag:yaml.org,2002:float", text)
        return yaml.SafeDumper.represent_float(dumper, value)

    Dumper.add_representer(float, small_float)
    return Dumper
