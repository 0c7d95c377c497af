<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Alert;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\Form\FormValues;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * The alert rule form: a rule as form values, the posted form as `AlertRuleInput`, save and delete.
 * Plain PHP over ServiceClientInterface. The service validates (which thresholds fit which `when`,
 * declared channel names) and names the field in its error: that message is what the admin sees.
 */
class AlertRuleForm
{
    /** `AlertRule.when` values, as documented in graphql/schema.graphql. */
    public const KINDS = [
        'run_failed', 'run_timed_out', 'consecutive_failures', 'run_too_long', 'not_succeeded_within',
        'late_start', 'lane_saturated', 'queue_depth', 'queue_no_consumer', 'consumer_crash_loop',
        'worker_lost', 'leader_lost',
    ];
    public const SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'];

    /** Posted field => AlertRuleInput field, for the text/number thresholds. */
    private const NUMBERS = ['count' => 'count', 'open_after' => 'openAfter', 'resolve_after' => 'resolveAfter'];
    private const DURATIONS = ['duration' => 'duration', 'remind_every' => 'remindEvery'];

    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * The form's values for a rule from `alertRules` (the inverse of toInput()).
     *
     * @param array<string, mixed> $rule
     * @return array<string, mixed>
     */
    public static function toForm(array $rule): array
    {
        $scope = is_array($rule['scope'] ?? null) ? $rule['scope'] : [];
        return [
            'name' => (string)($rule['name'] ?? ''),
            'when' => (string)($rule['when'] ?? ''),
            'jobs' => implode("\n", $scope['jobs'] ?? []),
            'lanes' => implode("\n", $scope['lanes'] ?? []),
            'queues' => implode("\n", $scope['queues'] ?? []),
            'channels' => array_values($rule['channels'] ?? []),
            'severity' => (string)($rule['severity'] ?? ''),
            'statuses' => array_values($rule['statuses'] ?? []),
            'count' => isset($rule['count']) ? (string)$rule['count'] : '',
            'duration' => (string)($rule['duration'] ?? ''),
            'factor' => isset($rule['factor']) ? (string)$rule['factor'] : '',
            'open_after' => isset($rule['openAfter']) ? (string)$rule['openAfter'] : '',
            'resolve_after' => isset($rule['resolveAfter']) ? (string)$rule['resolveAfter'] : '',
            'remind_every' => (string)($rule['remindEvery'] ?? ''),
            'enabled' => !array_key_exists('enabled', $rule) || !empty($rule['enabled']),
        ];
    }

    /**
     * Maps the posted form to `AlertRuleInput`; empty thresholds are left out (the service's default per kind).
     *
     * @param array<string, mixed> $form
     * @return array<string, mixed>
     */
    public static function toInput(array $form): array
    {
        $input = [
            'name' => (string)FormValues::text($form['name'] ?? null),
            'when' => (string)FormValues::text($form['when'] ?? null),
            'jobs' => FormValues::textList($form['jobs'] ?? []),
            'lanes' => FormValues::textList($form['lanes'] ?? []),
            'queues' => FormValues::textList($form['queues'] ?? []),
            'channels' => FormValues::textList($form['channels'] ?? []),
            'enabled' => FormValues::flag($form['enabled'] ?? '0'),
        ];
        $severity = FormValues::text($form['severity'] ?? null);
        if ($severity !== null) {
            $input['severity'] = strtoupper($severity);
        }
        $statuses = array_map('strtoupper', FormValues::textList($form['statuses'] ?? []));
        if ($statuses !== []) {
            $input['statuses'] = $statuses;
        }
        foreach (self::NUMBERS as $field => $target) {
            $value = FormValues::intOrRaw($form[$field] ?? null);
            if ($value !== null) {
                $input[$target] = $value;
            }
        }
        foreach (self::DURATIONS as $field => $target) {
            $value = FormValues::text($form[$field] ?? null);
            if ($value !== null) {
                $input[$target] = $value;
            }
        }
        $factor = FormValues::floatOrRaw($form['factor'] ?? null);
        if ($factor !== null) {
            $input['factor'] = $factor;
        }
        return $input;
    }

    /**
     * The rule of that name from `alertRules`, or null.
     *
     * @param list<array<string, mixed>> $rules
     * @return array<string, mixed>|null
     */
    public static function find(array $rules, string $name): ?array
    {
        foreach ($rules as $rule) {
            if (($rule['name'] ?? null) === $name) {
                return $rule;
            }
        }
        return null;
    }

    /**
     * @param array<string, mixed> $form
     * @return array{name: string, when: string, enabled: bool, source: string}
     * @throws GraphQlException BAD_USER_INPUT naming the field
     */
    public function save(array $form): array
    {
        return $this->client->execute(Queries::UPSERT_ALERT_RULE, ['input' => self::toInput($form)])['upsertAlertRule'];
    }

    /**
     * @return bool false when there is no such rule
     * @throws GraphQlException
     */
    public function delete(string $name): bool
    {
        return (bool)($this->client->execute(Queries::DELETE_ALERT_RULE, ['name' => $name])['deleteAlertRule'] ?? false);
    }
}
