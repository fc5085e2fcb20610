"""The built-in 2021 political-legal campaign template ("1345": one goal, three phases, four tasks,
five problems), following the glossary and report 004 (百色市新闻发布会, 2021-03-09).

Dates are month-day strings ("MM-DD") resolved against the campaign's year. The template's
structure is also the format of an office's own (copied, edited) template; `validate_template_data`
checks it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

BUILTIN_2021_CODE = "zf2021"

PHASE_LEARNING, PHASE_RECTIFICATION, PHASE_SUMMARY = "learning", "rectification", "summary"

BUILTIN_2021 = {
    "goal": "打造一支信念坚定、执法为民、敢于担当、清正廉洁的政法铁军",
    "batch": "first",
    "officer_categories": ["officer"],
    "start": "02-27",
    "end": "06-30",
    "phases": [
        {"key": PHASE_LEARNING, "name": "学习教育", "start": "02-27", "end": "03-31", "throughout": True,
         "goals": "紧扣忠诚纯洁可靠这一根本要求，扎实开展全覆盖的政治教育、党史教育、警示教育、英模教育，"
                  "不断强化理论武装、筑牢忠诚根基。学习教育从2月底至3月底，并贯穿始终。"},
        {"key": PHASE_RECTIFICATION, "name": "查纠整改", "start": "04-01", "end": "06-15", "throughout": False,
         "goals": "聚焦深自查、严查处、治顽疾，激发自查自纠的内生动力，发挥组织查处的强大威力，"
                  "提升顽瘴痼疾整治的综合效力，达到清除害群之马、整治顽瘴痼疾的目的。"},
        {"key": PHASE_SUMMARY, "name": "总结提升", "start": "06-16", "end": "06-30", "throughout": False,
         "goals": "着眼总结评估、建章立制，“当下改”与“长久治”并举，健全完善教育整顿常态化制度机制，"
                  "把实践成果转化为制度成果。"},
    ],
    "tasks": [
        {"name": "筑牢政治忠诚", "description": "坚持政治建警、从严治警，确保绝对忠诚、绝对纯洁、绝对可靠。"},
        {"name": "清除害群之马", "description": "坚持零容忍，依纪依法查处违纪违法干警，清除“两面人”和“保护伞”。"},
        {"name": "整治顽瘴痼疾", "description": "聚焦“六大顽瘴痼疾”，即查即改、限期整治、整改销号。"},
        {"name": "弘扬英模精神", "description": "学习宣传英模事迹，选树身边先进典型，营造崇尚英模、争当英模的氛围。"},
    ],
    "problems": [
        {"name": "政治不忠诚", "description": ""},
        {"name": "执法不公正", "description": ""},
        {"name": "司法不廉洁", "description": ""},
        {"name": "遇事不担当", "description": ""},
        {"name": "作风不过硬", "description": ""},
    ],
    "chronic_problems": [
        {"name": "违反防止干预司法“三个规定”", "description": ""},
        {"name": "违规经商办企业", "description": ""},
        {"name": "违规参股借贷", "description": ""},
        {"name": "违规违法办理减刑、假释、暂予监外执行", "description": ""},
        {"name": "有案不立、压案不查、有罪不究", "description": ""},
        {"name": "干警配偶、子女及其配偶违规从事经营活动、违规从事律师职业", "description": ""},
    ],
    "actions": [
        # 学习教育：10 个规定动作
        {"phase": PHASE_LEARNING, "due": "03-05", "title": "召开教育整顿动员部署会",
         "evidence": "会议通知、签到表、主要领导讲话稿、现场照片"},
        {"phase": PHASE_LEARNING, "due": "03-31", "title": "深入执行“第一议题”制度，党组（党委）专题学习习近平法治思想",
         "evidence": "党组（党委）会议记录、学习纪要"},
        {"phase": PHASE_LEARNING, "due": "03-25",
         "title": "组织一次“传承红色基因 锻造政法铁军”忠诚警魂集中教育",
         "evidence": "活动方案、签到表、现场照片、心得体会"},
        {"phase": PHASE_LEARNING, "due": "03-20", "title": "党组（党委）书记讲专题党课",
         "evidence": "党课讲稿、签到表、现场照片"},
        {"phase": PHASE_LEARNING, "due": "03-31", "title": "开展党史学习教育专题学习",
         "evidence": "学习计划、学习笔记、签到表"},
        {"phase": PHASE_LEARNING, "due": "03-20", "title": "召开警示教育大会，观看警示教育片",
         "evidence": "签到表、现场照片、会议记录"},
        {"phase": PHASE_LEARNING, "due": "03-26", "title": "组织收看英模事迹报告会",
         "evidence": "签到表、现场照片、心得体会"},
        {"phase": PHASE_LEARNING, "due": "03-28", "title": "开展防止干预司法“三个规定”宣讲，组织干警签订承诺书",
         "evidence": "宣讲签到表、承诺书签订情况"},
        {"phase": PHASE_LEARNING, "due": "03-30", "title": "召开心得体会交流会（“教育整顿大家谈”）",
         "evidence": "交流发言材料、会议记录、现场照片"},
        {"phase": PHASE_LEARNING, "due": "03-31", "title": "组织应知应会理论知识测试",
         "evidence": "测试组织情况、参考人数及成绩统计"},
        # 查纠整改：10 个规定动作
        {"phase": PHASE_RECTIFICATION, "due": "04-10", "title": "召开查纠整改环节部署会",
         "evidence": "会议通知、签到表、讲话稿"},
        {"phase": PHASE_RECTIFICATION, "due": "04-30", "title": "开展第一轮全员谈心谈话",
         "evidence": "谈心谈话记录（按人登记）"},
        {"phase": PHASE_RECTIFICATION, "due": "05-10", "title": "组织干警开展自查自纠，逐人填报自查事项报告",
         "evidence": "自查事项报告填报情况"},
        {"phase": PHASE_RECTIFICATION, "due": "05-20", "title": "开展一次“六访”活动，走访联系点和服务对象",
         "evidence": "走访记录、现场照片"},
        {"phase": PHASE_RECTIFICATION, "due": "06-10", "title": "组织一月一次市县政法委书记“拉练”活动",
         "evidence": "拉练活动方案、情况通报"},
        {"phase": PHASE_RECTIFICATION, "due": "05-15", "title": "召开群众座谈会，听取人大代表、律师、企业家意见建议",
         "evidence": "座谈会签到表、意见建议清单"},
        {"phase": PHASE_RECTIFICATION, "due": "05-31", "title": "聚焦“六大顽瘴痼疾”开展专项整治，建立问题整改台账",
         "evidence": "整改台账（目标、责任、措施、时限、要求）"},
        {"phase": PHASE_RECTIFICATION, "due": "06-05", "title": "开展重点案件评查和信访积案清理",
         "evidence": "评查报告、清理台账"},
        {"phase": PHASE_RECTIFICATION, "due": "06-10", "title": "开展“我为群众办实事”实践活动",
         "evidence": "办实事清单及完成情况"},
        {"phase": PHASE_RECTIFICATION, "due": "06-15", "title": "召开新闻发布会，开门整顿、接受群众监督",
         "evidence": "发布会通稿、现场照片"},
        # 总结提升：5 个规定动作
        {"phase": PHASE_SUMMARY, "due": "06-25", "title": "健全完善一批制度机制",
         "evidence": "制度文件清单"},
        {"phase": PHASE_SUMMARY, "due": "06-28", "title": "表彰一批先进集体和先进个人",
         "evidence": "表彰决定"},
        {"phase": PHASE_SUMMARY, "due": "06-25", "title": "开展“三级评估”单位自评",
         "evidence": "自评报告"},
        {"phase": PHASE_SUMMARY, "due": "06-28", "title": "开展群众满意度测评",
         "evidence": "测评方案及结果"},
        {"phase": PHASE_SUMMARY, "due": "06-30", "title": "形成教育整顿工作总结报告并报送上级",
         "evidence": "总结报告"},
    ],
}


def month_day(value: str, year: int, *, field: str) -> dt.date:
    try:
        month, day = (int(x) for x in str(value).split("-"))
        return dt.date(year, month, day)
    except (TypeError, ValueError):
        raise ValidationError({field: f"日期“{value}”格式不正确，应为“月-日”，如 03-31"})


def validate_template_data(data: dict, *, year: int = 2021) -> dict:
    """Check a template's structure; raise ValidationError naming the section and row."""
    if not isinstance(data, dict):
        raise ValidationError({"data": "模板内容格式不正确"})
    phases = data.get("phases") or []
    if not phases:
        raise ValidationError({"phases": "模板至少需要一个环节"})
    keys = set()
    for i, phase in enumerate(phases, start=1):
        if not str(phase.get("name", "")).strip():
            raise ValidationError({"phases": f"第 {i} 个环节缺少名称"})
        start = month_day(phase.get("start"), year, field="phases")
        end = month_day(phase.get("end"), year, field="phases")
        if end < start:
            raise ValidationError({"phases": f"第 {i} 个环节“{phase['name']}”的结束日期早于开始日期"})
        key = str(phase.get("key") or f"phase{i}")
        if key in keys:
            raise ValidationError({"phases": f"第 {i} 个环节的代码“{key}”重复"})
        keys.add(key)
    month_day(data.get("start") or phases[0]["start"], year, field="start")
    month_day(data.get("end") or phases[-1]["end"], year, field="end")
    for section in ("tasks", "problems", "chronic_problems"):
        for i, item in enumerate(data.get(section) or [], start=1):
            if not str(item.get("name", "")).strip():
                raise ValidationError({section: f"第 {i} 项缺少名称"})
    names = {p.get("name") for p in phases}
    for i, action in enumerate(data.get("actions") or [], start=1):
        if not str(action.get("title", "")).strip():
            raise ValidationError({"actions": f"第 {i} 个规定动作缺少名称"})
        if action.get("phase") not in keys and action.get("phase") not in names:
            raise ValidationError({"actions": f"第 {i} 个规定动作的环节“{action.get('phase')}”不在模板的环节中"})
        month_day(action.get("due"), year, field="actions")
    return data
