<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Cronkeeper\Scheduler\Model\Alert\AlertBoard;
use Cronkeeper\Scheduler\Model\Alert\AlertRuleForm;
use Cronkeeper\Scheduler\Model\Source\RunStatus;
use Magento\Framework\App\Request\DataPersistorInterface;
use Magento\Framework\App\RequestInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

/**
 * The alert rule form (view/adminhtml/templates/alert/rule_edit.phtml): a new rule, or an API rule to
 * change; rules from the service's configuration file are shown read-only (the service refuses them).
 */
class RuleEdit implements ArgumentInterface
{
    use LoadsOnce;

    public const PERSISTED_FORM = 'cronkeeper_rule_form';

    public function __construct(
        private readonly AlertBoard $board,
        private readonly RequestInterface $request,
        private readonly UrlInterface $url,
        private readonly DataPersistorInterface $dataPersistor
    ) {
    }

    public function getName(): string
    {
        return trim((string)$this->request->getParam('name'));
    }

    public function isNew(): bool
    {
        return $this->getName() === '';
    }

    /**
     * @return array{rule: array<string, mixed>|null, channels: list<array<string, mixed>>, error: ?string}
     */
    public function getPage(): array
    {
        return $this->loadOnce(function (): array {
            $board = $this->board->load(1);
            $rule = $this->isNew() ? null : AlertRuleForm::find($board['rules'], $this->getName());
            return ['rule' => $rule, 'channels' => $board['channels'], 'error' => !$this->isNew() && $rule === null
                ? (string)__('There is no alert rule "%1".', $this->getName())
                : null];
        }, ['rule' => null, 'channels' => []]);
    }

    public function isReadOnly(): bool
    {
        return ($this->getPage()['rule']['source'] ?? 'API') === 'CONFIG';
    }

    /**
     * What a refused save posted (once), else the rule's values, else a new rule's defaults.
     *
     * @return array<string, mixed>
     */
    public function getFormValues(): array
    {
        $rule = $this->getPage()['rule'];
        $values = AlertRuleForm::toForm($rule ?? ['when' => 'run_failed', 'enabled' => true]);
        $persisted = $this->dataPersistor->get(self::PERSISTED_FORM);
        if (is_array($persisted) && ($persisted['original_name'] ?? '') === $this->getName()) {
            $this->dataPersistor->clear(self::PERSISTED_FORM);
            foreach (array_keys($values) as $field) {
                if (array_key_exists($field, $persisted)) {
                    $values[$field] = $persisted[$field];
                }
            }
            // Unticked boxes and empty multi-selects are not posted at all.
            $values['enabled'] = !empty($persisted['enabled']);
            $values['channels'] = (array)($persisted['channels'] ?? []);
            $values['statuses'] = (array)($persisted['statuses'] ?? []);
        }
        return $values;
    }

    /**
     * @return list<string>
     */
    public function getKinds(): array
    {
        return AlertRuleForm::KINDS;
    }

    /**
     * @return list<string>
     */
    public function getSeverities(): array
    {
        return AlertRuleForm::SEVERITIES;
    }

    /**
     * @return list<string> RunStatus values in the service's spelling
     */
    public function getStatuses(): array
    {
        return array_map('strtoupper', array_keys(RunStatus::STATUSES));
    }

    public function getSaveUrl(): string
    {
        return $this->url->getUrl('cronkeeper/rule/save');
    }

    public function getBackUrl(): string
    {
        return $this->url->getUrl('cronkeeper/alert/index');
    }
}
