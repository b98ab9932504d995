// Our properties provider: the `spiffworkflow:` extensions complaintflow reads from a diagram
// (see docs/authoring.md): lane group, task form files and due-date variable, service operator and
// its parameters, end status, timer alert kind, process number prefix, and every other
// spiffworkflow:property as a name/value list. The timer expression itself is the base provider's.
import { h } from '@bpmn-io/properties-panel/preact';
import {
  Group, ListGroup, SelectEntry, TextFieldEntry,
  isSelectEntryEdited, isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

export const CASE_STATUSES = ['closed', 'rejected', 'transferred', 'pending', 'sealed'];
const TASKS = ['bpmn:UserTask', 'bpmn:ManualTask', 'bpmn:Task'];

// --- reading and writing the model (every write goes through modeling: undoable) -----------------

function extensionOf(bo, type) {
  const ext = bo && bo.get('extensionElements');
  return ext ? ext.get('values').find((v) => is(v, type)) : undefined;
}

export function getProperty(bo, name) {
  const props = extensionOf(bo, 'spiffworkflow:Properties');
  const found = props && props.get('properties').find((p) => p.name === name);
  return found ? found.value : undefined;
}

function ensureExtension(element, bo, type, attrs, services) {
  const { modeling, bpmnFactory } = services;
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  let found = ext.get('values').find((v) => is(v, type));
  if (!found) {
    found = bpmnFactory.create(type, attrs);
    found.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.get('values'), found] });
  }
  return found;
}

export function setProperty(element, bo, name, value, services) {
  const { modeling, bpmnFactory } = services;
  const current = extensionOf(bo, 'spiffworkflow:Properties');
  const prop = current && current.get('properties').find((p) => p.name === name);
  if (value === undefined || value === null || value === '') {
    if (prop) {
      modeling.updateModdleProperties(element, current,
        { properties: current.get('properties').filter((p) => p !== prop) });
    }
    return;
  }
  if (prop) {
    modeling.updateModdleProperties(element, prop, { value });
    return;
  }
  const props = ensureExtension(element, bo, 'spiffworkflow:Properties', { properties: [] }, services);
  const created = bpmnFactory.create('spiffworkflow:Property', { name, value });
  created.$parent = props;
  modeling.updateModdleProperties(element, props, { properties: [...props.get('properties'), created] });
}

/** The business object that carries process-level properties for a selected element. */
export function processOf(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:Process')) return bo;
  if (is(bo, 'bpmn:Participant')) return bo.get('processRef');
  return undefined;
}

function useServices() {
  return { modeling: useService('modeling'), bpmnFactory: useService('bpmnFactory') };
}

// --- entries -----------------------------------------------------------------------------------

function PropertyText(props) {
  const { element, id, name, label, target, description } = props;
  const services = useServices();
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, label: translate(label), description: description && translate(description), debounce,
    getValue: () => getProperty(target, name) || '',
    setValue: (value) => setProperty(element, target, name, (value || '').trim(), services)
  });
}

function PropertySelect(props) {
  const { element, id, name, label, target, choices } = props;
  const services = useServices();
  const translate = useService('translate');
  return h(SelectEntry, {
    element, id, label: translate(label),
    getValue: () => getProperty(target, name) || '',
    setValue: (value) => setProperty(element, target, name, value, services),
    getOptions: () => [{ value: '', label: translate('(none)') }, ...choices.map((c) => ({ value: c, label: translate(c) }))]
  });
}

function text(id, name, label, target, description) {
  return { id, name, label, target, description, component: PropertyText, isEdited: isTextFieldEntryEdited };
}

function select(id, name, label, target, choices) {
  return { id, name, label, target, choices, component: PropertySelect, isEdited: isSelectEntryEdited };
}

function OperatorField(props) {
  const { element, id, attr, label } = props;
  const services = useServices();
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return h(TextFieldEntry, {
    element, id, label: translate(label), debounce,
    getValue: () => { const op = extensionOf(bo, 'spiffworkflow:ServiceTaskOperator'); return (op && op.get(attr)) || ''; },
    setValue: (value) => {
      const op = ensureExtension(element, bo, 'spiffworkflow:ServiceTaskOperator', {}, services);
      services.modeling.updateModdleProperties(element, op, { [attr]: (value || '').trim() || undefined });
    }
  });
}

function ItemField(props) {
  const { element, id, item, attr, label } = props;
  const { modeling } = useServices();
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, label: translate(label), debounce,
    getValue: () => item.get(attr) || '',
    setValue: (value) => modeling.updateModdleProperties(element, item, { [attr]: value })
  });
}

// --- groups ------------------------------------------------------------------------------------

function complaintflowEntries(element) {
  const bo = getBusinessObject(element);
  const entries = [];
  const processBo = processOf(element);
  if (processBo) {
    entries.push(text('cf-casePrefix', 'casePrefix', 'Case number prefix', processBo, 'e.g. CP'),
      text('cf-escalationGroup', 'escalationGroup', 'Escalation group', processBo),
      text('cf-clockKeeper', 'clockKeeper', 'Clock keeper group', processBo));
  }
  if (is(bo, 'bpmn:Lane')) {
    entries.push(text('cf-group', 'group', 'Group of this lane', bo, 'the deploy-time mapping overrides it'),
      text('cf-laneClockKeeper', 'clockKeeper', 'Clock keeper group', bo));
  }
  if (isAny(bo, TASKS) || is(bo, 'bpmn:StartEvent')) {
    entries.push(text('cf-form', 'formJsonSchemaFilename', 'Form (JSON Schema file)', bo),
      text('cf-uiForm', 'formUiSchemaFilename', 'Form layout (ui-schema file)', bo));
  }
  if (isAny(bo, TASKS)) {
    entries.push(text('cf-due', 'dueDateVariable', 'Due-date variable', bo),
      select('cf-returnable', 'returnable', 'A later step may send the case back here', bo, ['true']));
  }
  if (is(bo, 'bpmn:EndEvent')) {
    entries.push(select('cf-caseStatus', 'caseStatus', 'Case status at this end', bo, CASE_STATUSES));
  }
  const timer = (bo.get('eventDefinitions') || []).some((d) => is(d, 'bpmn:TimerEventDefinition'));
  if (timer) {
    entries.push(select('cf-alertKind', 'alertKind', 'Alert kind', bo, ['reminder', 'escalation']));
  }
  if (is(bo, 'bpmn:FlowNode') || is(bo, 'bpmn:Process') || is(bo, 'bpmn:Participant')) {
    entries.push(text('cf-deadlineLabel-zh', 'deadlineLabel_zh', 'Deadline label (Chinese)', processBo || bo),
      text('cf-deadlineLabel-en', 'deadlineLabel_en', 'Deadline label (English)', processBo || bo));
  }
  return entries;
}

function operatorGroup(element, injector) {
  const bo = getBusinessObject(element);
  if (!is(bo, 'bpmn:ServiceTask')) return [];
  const translate = injector.get('translate');
  const modeling = injector.get('modeling');
  const bpmnFactory = injector.get('bpmnFactory');
  const services = { modeling, bpmnFactory };
  const operator = extensionOf(bo, 'spiffworkflow:ServiceTaskOperator');
  const list = operator && operator.get('parameters');
  const params = list ? list.get('parameters') : [];
  const basics = {
    id: 'cf-operator', label: translate('Service operator'), component: Group,
    entries: [
      { id: 'cf-operator-id', attr: 'id', label: 'Operator', component: OperatorField, isEdited: isTextFieldEntryEdited },
      { id: 'cf-operator-result', attr: 'resultVariable', label: 'Result variable', component: OperatorField, isEdited: isTextFieldEntryEdited }
    ]
  };
  const parameters = {
    id: 'cf-operator-parameters', label: translate('Operator parameters'), component: ListGroup, element,
    items: params.map((param, index) => ({
      id: `cf-param-${index}`, label: param.get('id') || translate('(unnamed)'),
      entries: ['id', 'type', 'value'].map((attr) => ({
        id: `cf-param-${index}-${attr}`, item: param, attr, label: { id: 'Name', type: 'Type', value: 'Value (expression)' }[attr],
        component: ItemField, isEdited: isTextFieldEntryEdited
      })),
      autoFocusEntry: `cf-param-${index}-id`,
      remove: () => modeling.updateModdleProperties(element, list, { parameters: params.filter((p) => p !== param) })
    })),
    add: () => {
      const op = ensureExtension(element, bo, 'spiffworkflow:ServiceTaskOperator', {}, services);
      let holder = op.get('parameters');
      if (!holder) {
        holder = bpmnFactory.create('spiffworkflow:Parameters', { parameters: [] });
        holder.$parent = op;
        modeling.updateModdleProperties(element, op, { parameters: holder });
      }
      const param = bpmnFactory.create('spiffworkflow:Parameter', { id: `param${holder.get('parameters').length + 1}`, type: 'str', value: "''" });
      param.$parent = holder;
      modeling.updateModdleProperties(element, holder, { parameters: [...holder.get('parameters'), param] });
    }
  };
  return [basics, parameters];
}

function propertyTable(element, injector) {
  // the generic name/value table: every spiffworkflow:property of the element (or its process)
  const translate = injector.get('translate');
  const modeling = injector.get('modeling');
  const bpmnFactory = injector.get('bpmnFactory');
  const target = processOf(element) || getBusinessObject(element);
  if (!target || !target.get || !('extensionElements' in target.$descriptor.propertiesByName)) return null;
  const holder = extensionOf(target, 'spiffworkflow:Properties');
  const props = holder ? holder.get('properties') : [];
  return {
    id: 'cf-properties', label: translate('All diagram properties'), component: ListGroup, element,
    items: props.map((prop, index) => ({
      id: `cf-prop-${index}`, label: prop.get('name') || translate('(unnamed)'),
      entries: ['name', 'value'].map((attr) => ({
        id: `cf-prop-${index}-${attr}`, item: prop, attr, label: attr === 'name' ? 'Name' : 'Value',
        component: ItemField, isEdited: isTextFieldEntryEdited
      })),
      autoFocusEntry: `cf-prop-${index}-name`,
      remove: () => modeling.updateModdleProperties(element, holder, { properties: props.filter((p) => p !== prop) })
    })),
    add: () => {
      const services = { modeling, bpmnFactory };
      const list = ensureExtension(element, target, 'spiffworkflow:Properties', { properties: [] }, services);
      const prop = bpmnFactory.create('spiffworkflow:Property', { name: `property${list.get('properties').length + 1}`, value: '' });
      prop.$parent = list;
      modeling.updateModdleProperties(element, list, { properties: [...list.get('properties'), prop] });
    }
  };
}

class SpiffPropertiesProvider {
  constructor(propertiesPanel, injector) {
    this._injector = injector;
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const translate = this._injector.get('translate');
      const entries = complaintflowEntries(element);
      if (entries.length) {
        groups.splice(1, 0, { id: 'complaintflow', label: translate('Complaint handling'), component: Group, entries });
      }
      groups.push(...operatorGroup(element, this._injector));
      const table = propertyTable(element, this._injector);
      if (table) groups.push(table);
      return groups;
    };
  }
}

SpiffPropertiesProvider.$inject = ['propertiesPanel', 'injector'];

export default {
  __init__: ['spiffPropertiesProvider'],
  spiffPropertiesProvider: ['type', SpiffPropertiesProvider]
};
