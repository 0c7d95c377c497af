<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Job;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\Form\FormValues;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * The job edit form (Schedules > Edit): loads a job with the lanes it may move to, and saves the five
 * editable fields through `upsertJob`. Plain PHP over ServiceClientInterface.
 *
 * Validation is the service's (schedule syntax, lane names, positive timeout, retry bounds): its
 * BAD_USER_INPUT message, which names the field, is what the admin sees.
 */
class JobEditor
{
    public const CONCURRENCY_POLICIES = ['FORBID', 'ALLOW', 'REPLACE'];

    /** Form field names, as posted by view/adminhtml/templates/job/edit.phtml. */
    public const FIELD_SCHEDULE = 'schedule';
    public const FIELD_LANE = 'lane';
    public const FIELD_TIMEOUT = 'timeout_seconds';
    public const FIELD_RETRIES = 'max_retries';
    public const FIELD_CONCURRENCY = 'concurrency_policy';

    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * @return array{job: array<string, mixed>|null, lanes: list<string>} job null when there is no such job
     * @throws GraphQlException
     */
    public function load(string $code): array
    {
        $data = $this->client->execute(Queries::JOB_FOR_EDIT, ['code' => $code]);
        $lanes = [];
        foreach (is_array($data['lanes'] ?? null) ? $data['lanes'] : [] as $lane) {
            if (is_array($lane) && is_string($lane['name'] ?? null)) {
                $lanes[] = $lane['name'];
            }
        }
        return ['job' => is_array($data['job'] ?? null) ? $data['job'] : null, 'lanes' => $lanes];
    }

    /**
     * The form's values for a loaded job (the inverse of toInput()).
     *
     * @param array<string, mixed> $job
     * @return array<string, string>
     */
    public static function toForm(array $job): array
    {
        return [
            self::FIELD_SCHEDULE => (string)($job['schedule'] ?? ''),
            self::FIELD_LANE => (string)($job['lane'] ?? ''),
            self::FIELD_TIMEOUT => isset($job['timeoutSeconds']) ? (string)$job['timeoutSeconds'] : '',
            self::FIELD_RETRIES => isset($job['maxRetries']) ? (string)$job['maxRetries'] : '',
            self::FIELD_CONCURRENCY => (string)($job['concurrencyPolicy'] ?? ''),
        ];
    }

    /**
     * Maps the posted form to `JobInput`. An empty timeout means "the lane's or the global default"
     * (null clears the job's own); an empty schedule, lane, retries or policy leaves the value as it is.
     *
     * @param array<string, mixed> $form
     * @return array<string, mixed>
     */
    public static function toInput(string $code, array $form): array
    {
        $input = ['code' => $code];
        $schedule = FormValues::text($form[self::FIELD_SCHEDULE] ?? null);
        if ($schedule !== null) {
            $input['schedule'] = $schedule;
        }
        $lane = FormValues::text($form[self::FIELD_LANE] ?? null);
        if ($lane !== null) {
            $input['lane'] = $lane;
        }
        if (array_key_exists(self::FIELD_TIMEOUT, $form)) {
            $input['timeoutSeconds'] = FormValues::intOrRaw($form[self::FIELD_TIMEOUT]);
        }
        $retries = FormValues::intOrRaw($form[self::FIELD_RETRIES] ?? null);
        if ($retries !== null) {
            $input['maxRetries'] = $retries;
        }
        $policy = FormValues::text($form[self::FIELD_CONCURRENCY] ?? null);
        if ($policy !== null) {
            $input['concurrencyPolicy'] = strtoupper($policy);
        }
        return $input;
    }

    /**
     * @param array<string, mixed> $form
     * @return array<string, mixed> the job as saved
     * @throws GraphQlException BAD_USER_INPUT naming the field when the service refuses a value
     */
    public function save(string $code, array $form): array
    {
        if (trim($code) === '') {
            throw new \InvalidArgumentException('No job code was given.');
        }
        $data = $this->client->execute(Queries::UPSERT_JOB, ['input' => self::toInput($code, $form)]);
        return is_array($data['upsertJob'] ?? null) ? $data['upsertJob'] : [];
    }
}
